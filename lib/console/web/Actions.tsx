// publish / pause / draft / rollback from the page. Every action is compare-and-set on the revision
// the page shows (If-Match): a 412 says the pipeline changed since it was loaded and writes nothing.
// Publishing lints first (the API refuses lint errors with 422, as the CLI does; "Publish anyway"
// forces). After the write, the action shows progress until the observed status reflects it.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiError } from "./api";
import { type Action, type Api } from "./api";
import type { LintIssue, PipelineView, WriteResult } from "./types";

export interface Pending {
  action: Action;
  label: string;
  /** The definition revision the action wrote: done when the status reflects it. */
  revision: number;
}

export type Notice =
  | { kind: "conflict"; seen: number; actual: number | null }
  | { kind: "lint"; action: Action; body: Record<string, unknown>; message: string; issues: LintIssue[] }
  | { kind: "error"; code: string; message: string }
  | { kind: "done"; message: string; warnings?: LintIssue[]; failed?: boolean };

interface Request {
  action: Action;
  body: Record<string, unknown>;
  title: string;
  text: string;
  confirmLabel: string;
}

const VERB: Record<Action, string> = {
  publish: "Publishing",
  pause: "Pausing",
  draft: "Moving to draft",
  rollback: "Switching version",
};

const DONE: Record<Action, string> = {
  publish: "Published",
  pause: "Paused",
  draft: "Moved to draft",
  rollback: "Switched version",
};

export interface Actions {
  busy: Action | null;
  pending: Pending | null;
  notice: Notice | null;
  dismiss: () => void;
  /** Asks for confirmation where an action removes or replaces what runs, then runs it. */
  request: (action: Action, body?: Record<string, unknown>) => void;
  confirmDialog: JSX.Element | null;
}

/** Whether the observed status reflects the write (converged on its revision, no longer starting). */
function reflected(view: PipelineView, p: Pending): boolean {
  const o = view.observed;
  return !!o && o.revision >= p.revision && o.phase !== "pending";
}

export function useActions(api: Api, view: PipelineView | undefined, refresh: () => void): Actions {
  const [busy, setBusy] = useState<Action | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [asking, setAsking] = useState<Request | null>(null);
  const warnings = useRef<LintIssue[] | undefined>(undefined);

  useEffect(() => {
    if (!pending || !view || !reflected(view, pending)) return;
    const o = view.observed!;
    const failed = o.phase === "failed";
    setNotice({
      kind: "done",
      failed,
      warnings: warnings.current,
      message: failed
        ? `${DONE[pending.action]}, but the pipeline failed: ${o.error ? `${o.error.code}: ${o.error.message}` : "see its status"}`
        : `${DONE[pending.action]}: phase ${o.phase}${o.version && o.desired !== "draft" ? `, version ${o.version}` : ""}.`,
    });
    setPending(null);
  }, [view, pending]);

  const run = async (action: Action, body: Record<string, unknown>) => {
    if (!view) return;
    const seen = view.revision;
    setBusy(action);
    setNotice(null);
    try {
      const r: WriteResult = await api.act(view.id, action, seen, body);
      warnings.current = r.lint?.issues.length ? r.lint.issues : undefined;
      if (r.action === "unchanged" || r.revision === null) {
        setNotice({
          kind: "done",
          message: "Nothing to change: the pipeline is already like that.",
          warnings: warnings.current,
        });
      } else {
        setPending({
          action,
          label: `${VERB[action]}${r.version ? ` version ${r.version}` : ""}`,
          revision: r.revision,
        });
      }
      refresh();
    } catch (err) {
      const e = err as ApiError;
      if (e.status === 412) {
        const actual = (e.details?.actual as number | null | undefined) ?? null;
        setNotice({ kind: "conflict", seen, actual });
      } else if (e.code === "LINT_FAILED") {
        const issues = ((e.details?.issues as LintIssue[] | undefined) ?? []).filter(
          (i) => i.level === "error",
        );
        setNotice({ kind: "lint", action, body, message: e.message.split("\n")[0], issues });
      } else {
        setNotice({ kind: "error", code: e.code ?? "ERROR", message: e.message });
      }
    } finally {
      setBusy(null);
    }
  };

  const request = (action: Action, body: Record<string, unknown> = {}) => {
    if (!view) return;
    if (action === "draft") {
      setAsking({
        action,
        body,
        title: `Move ${view.id} to draft?`,
        text: "Its executions are removed. The definition and every version stay; publish brings it back.",
        confirmLabel: "Move to draft",
      });
    } else if (action === "rollback") {
      const to = body.to as string | undefined;
      setAsking({
        action,
        body,
        title: to ? `Switch ${view.id} to version ${to}?` : `Roll ${view.id} back?`,
        text: `${to ? `Version ${to}` : "The previous version"} replaces version ${view.definition?.version ?? "?"}${
          view.definition?.status === "published" ? " in the running executions" : ""
        }. The status (${view.definition?.status}) stays.`,
        confirmLabel: to ? `Switch to ${to}` : "Roll back",
      });
    } else {
      void run(action, body);
    }
  };

  const confirmDialog = asking ? (
    <ConfirmDialog
      request={asking}
      onCancel={() => setAsking(null)}
      onConfirm={() => {
        setAsking(null);
        void run(asking.action, asking.body);
      }}
    />
  ) : null;

  return {
    busy,
    pending,
    notice,
    dismiss: () => setNotice(null),
    request: (action, body) => request(action, body),
    confirmDialog,
  };
}

function ConfirmDialog({
  request,
  onCancel,
  onConfirm,
}: {
  request: Request;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onClose={onCancel}>
      <h2 id="confirm-title">{request.title}</h2>
      <p>{request.text}</p>
      <div class="buttons">
        <button type="button" autofocus onClick={onCancel}>
          Cancel
        </button>
        <button type="button" class="primary" onClick={onConfirm}>
          {request.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function ActionBar({
  view,
  actions,
  versionsCount,
}: {
  view: PipelineView;
  actions: Actions;
  versionsCount: number;
}) {
  const status = view.definition?.status;
  const locked = actions.busy !== null || actions.pending !== null || !view.definition;
  const button = (action: Action, label: string, enabled: boolean, primary = false) => (
    <button
      type="button"
      class={primary ? "primary" : undefined}
      disabled={locked || !enabled}
      aria-busy={actions.busy === action}
      onClick={() => actions.request(action)}
    >
      {actions.busy === action ? `${label}…` : label}
    </button>
  );
  return (
    <div class="actions" role="toolbar" aria-label="pipeline actions">
      {button("publish", "Publish", status !== "published", true)}
      {button("pause", "Pause", status === "published")}
      {button("draft", "Draft", status !== "draft")}
      {button("rollback", "Roll back", versionsCount >= 2)}
      <span
        class="dim small revision"
        title="the definition's KV revision: actions apply only if it is still current"
      >
        revision {view.revision}
      </span>
    </div>
  );
}

export function ActionNotices({
  actions,
  view,
  onRefresh,
}: {
  actions: Actions;
  view: PipelineView;
  onRefresh: () => void;
}) {
  const { pending, notice } = actions;
  return (
    <div class="notices">
      {pending && (
        <div class="notice notice-progress" role="status">
          <span class="spinner" aria-hidden="true" />
          {pending.label}… waiting for the control plane
          {view.observed && (
            <span class="dim">
              {" "}
              (status: {view.observed.phase}
              {view.observed.revision < pending.revision
                ? `, revision ${view.observed.revision} of ${pending.revision}`
                : ""}
              )
            </span>
          )}
        </div>
      )}
      {notice?.kind === "conflict" && (
        <div class="notice notice-bad" role="alert" data-notice="conflict">
          <strong>Not changed: this pipeline changed since you loaded it.</strong> You saw revision{" "}
          {notice.seen}
          {notice.actual !== null ? `; it is now at revision ${notice.actual}` : ""}. Nothing was overwritten.
          Refresh to see the current state, then decide again.
          <div class="buttons">
            <button
              type="button"
              class="primary"
              onClick={() => {
                actions.dismiss();
                onRefresh();
              }}
            >
              Refresh
            </button>
          </div>
        </div>
      )}
      {notice?.kind === "lint" && (
        <div class="notice notice-bad" role="alert" data-notice="lint">
          <strong>{notice.message}</strong>
          <ul class="lint">
            {notice.issues.map((i, n) => (
              <li key={n}>
                <code>
                  {i.line}:{i.column}
                </code>{" "}
                {i.path && <code class="dim">{i.path}</code>} {i.message}
              </li>
            ))}
          </ul>
          <div class="buttons">
            <button type="button" onClick={actions.dismiss}>
              Cancel
            </button>
            <button
              type="button"
              class="danger"
              onClick={() => actions.request(notice.action, { ...notice.body, force: true })}
            >
              {notice.action === "publish" ? "Publish anyway" : "Do it anyway"}
            </button>
          </div>
        </div>
      )}
      {notice?.kind === "error" && (
        <div class="notice notice-bad" role="alert" data-notice="error">
          <strong>
            <code>{notice.code}</code>
          </strong>{" "}
          {notice.message}
          <button type="button" class="link dismiss" onClick={actions.dismiss}>
            Dismiss
          </button>
        </div>
      )}
      {notice?.kind === "done" && (
        <div class={`notice ${notice.failed ? "notice-bad" : "notice-ok"}`} role="status" data-notice="done">
          {notice.message}
          {notice.warnings && (
            <ul class="lint">
              {notice.warnings.map((i, n) => (
                <li key={n}>
                  {i.level}{" "}
                  <code>
                    {i.line}:{i.column}
                  </code>{" "}
                  {i.message}
                </li>
              ))}
            </ul>
          )}
          <button type="button" class="link dismiss" onClick={actions.dismiss}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}
