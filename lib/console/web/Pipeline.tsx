// One pipeline: status and health, replicas, actions, versions with diffs, the graph and config of
// the shown version, recent events. Live: the definition and status are polled every 2 s (1 s
// while an action waits for the status), the rest when they change.
import { useEffect, useState } from "preact/hooks";
import { ActionBar, ActionNotices, useActions } from "./Actions";
import type { Api } from "./api";
import { ApiError } from "./api";
import { HealthBadge, PhaseBadge, StatusBadge } from "./badges";
import { EventsPanel } from "./Events";
import { ago, count, rate, when } from "./format";
import { GraphPanel } from "./Graph";
import { useImmutable, usePoll } from "./hooks";
import { LiveStatus } from "./Live";
import { ReplicasPanel } from "./Replicas";
import { RunsPanel } from "./Runs";
import { LogsPanel } from "./Logs";
import type { Features, Health, PipelineView, VersionsView } from "./types";
import { VersionsPanel } from "./Versions";

export const PIPELINE_INTERVAL_MS = 2000;

export function PipelinePage({ api, id, features }: { api: Api; id: string; features: Features }) {
  const [fast, setFast] = useState(false);
  const polled = usePoll(() => api.get(id), fast ? 1000 : PIPELINE_INTERVAL_MS, id);
  const view = polled.data;
  const actions = useActions(api, view, polled.refresh);
  const waiting = actions.pending !== null;
  useEffect(() => setFast(waiting), [waiting]);
  const versions = usePoll(() => api.versions(id), 15_000, `${id}:${view?.revision ?? ""}`);
  const health = usePoll(
    async () => (features.health ? api.health(id) : null),
    3000,
    `${id}:${features.health}`,
  );
  const [shown, setShown] = useState<string | null>(null);

  const notFound = polled.error instanceof ApiError && polled.error.code === "NOT_FOUND";
  if (notFound) {
    return (
      <>
        <h1 tabIndex={-1} id="page-title">
          {id}
        </h1>
        <p class="error">There is no pipeline {id} (any more).</p>
        <p>
          <a href="#/">← All pipelines</a>
        </p>
      </>
    );
  }
  if (!view) {
    return (
      <>
        <h1 tabIndex={-1} id="page-title">
          {id}
        </h1>
        {polled.error ? <p class="error">{polled.error.message}</p> : <p class="dim">Loading…</p>}
      </>
    );
  }

  const def = view.definition;
  const vs = versions.data;
  const shownVersion = shown ?? def?.version ?? vs?.current ?? vs?.versions.at(-1)?.version ?? null;
  const shownDigest = vs?.versions.find((v) => v.version === shownVersion)?.digest ?? null;
  const o = view.observed;
  // live from the heartbeats where the API serves them, else as the status last recorded it
  const liveHealth = health.data?.health ?? o?.health ?? null;
  const replicaNumbers = [...new Set((o?.executions ?? []).map((e, i) => e.replica ?? i))].sort(
    (a, b) => a - b,
  );

  return (
    <>
      <p class="crumbs">
        <a href="#/">← All pipelines</a>
      </p>
      <div class="page-head">
        <div>
          <h1 tabIndex={-1} id="page-title">
            {view.id}
          </h1>
          {def?.name && <p class="subtitle">{def.name}</p>}
        </div>
        <div class="head-badges">
          <StatusBadge status={def?.status} />
          <PhaseBadge phase={o?.phase} />
          {liveHealth && <HealthBadge state={liveHealth.state} />}
        </div>
        <LiveStatus polled={polled} />
      </div>
      {def?.description && <p>{def.description}</p>}
      {view.definitionError && (
        <p class="notice notice-bad" role="alert">
          The stored definition is not valid: <code>{view.definitionError.code}</code>{" "}
          {view.definitionError.message}
        </p>
      )}
      <ActionBar view={view} actions={actions} versionsCount={vs?.versions.length ?? 0} />
      <ActionNotices actions={actions} view={view} onRefresh={polled.refresh} />
      {actions.confirmDialog}
      <div class="panels">
        <StatusPanel view={view} health={liveHealth} />
        <ReplicasPanel
          observed={o}
          heartbeats={health.data?.replicas ?? (features.health ? undefined : null)}
        />
        {(def?.mode === "job" || o?.runs) && <RunsPanel runs={o?.runs ?? []} />}
        {shownVersion && shownDigest !== null ? (
          <GraphPanel api={api} id={view.id} version={shownVersion} digest={shownDigest} />
        ) : (
          <section class="panel wide">
            <h2>Graph</h2>
            <p class="dim">{vs ? "No config version yet." : "Loading…"}</p>
          </section>
        )}
        {vs && vs.versions.length > 0 && shownVersion && (
          <VersionsPanel
            api={api}
            id={view.id}
            versions={vs as VersionsView}
            shown={shownVersion}
            onShow={setShown}
            onSwitch={
              actions.busy || actions.pending ? undefined : (v) => actions.request("rollback", { to: v })
            }
          />
        )}
        {shownVersion && shownDigest !== null && (
          <ConfigPanel
            api={api}
            id={view.id}
            version={shownVersion}
            digest={shownDigest}
            current={def?.version}
          />
        )}
        {features.logs && <LogsPanel api={api} id={view.id} replicas={replicaNumbers} />}
        <EventsPanel api={api} id={view.id} refreshKey={`${o?.revision ?? ""}:${o?.updatedAt ?? ""}`} />
      </div>
    </>
  );
}

function StatusPanel({ view, health: h }: { view: PipelineView; health: Health | null }) {
  const def = view.definition;
  const o = view.observed;
  const converged = o && o.revision >= view.revision;
  return (
    <section class="panel" aria-labelledby="status-title">
      <h2 id="status-title">Status</h2>
      <dl class="facts">
        <dt>Desired</dt>
        <dd>
          {def ? (
            <>
              {def.status}
              {def.version && <> · version {def.version}</>} ·{" "}
              {def.autoscale ? (
                <span data-field="autoscale">
                  autoscale {def.autoscale.min}–{def.autoscale.max} replicas ({def.autoscale.targetPending}{" "}
                  pending each, cooldown {def.autoscale.cooldown})
                </span>
              ) : (
                <>
                  {def.replicas} replica{def.replicas === 1 ? "" : "s"}
                </>
              )}
            </>
          ) : (
            "invalid definition"
          )}
        </dd>
        <dt>Observed</dt>
        <dd data-field="observed">
          {o ? (
            <>
              <span data-field="phase">{o.phase}</span>
              {o.version && <> · version {o.version}</>} ·{" "}
              {o.replicas
                ? `${o.replicas.current}/${o.replicas.desired} replicas`
                : `${o.executions.length} execution${o.executions.length === 1 ? "" : "s"}`}
              {o.replicas?.reason && <span class="dim"> ({o.replicas.reason})</span>}
            </>
          ) : (
            <span class="dim">not converged yet</span>
          )}
        </dd>
        <dt>Revision</dt>
        <dd>
          definition {view.revision}
          {o && (
            <>
              {" "}
              · status reflects {o.revision}{" "}
              {converged ? <span class="ok-text">(up to date)</span> : <span class="dim">(converging…)</span>}
            </>
          )}
        </dd>
        {o && (
          <>
            <dt>Executor</dt>
            <dd>{o.executor}</dd>
            <dt>Updated</dt>
            <dd title={when(o.updatedAt)}>{ago(o.updatedAt)}</dd>
          </>
        )}
        {o?.error && (
          <>
            <dt>Error</dt>
            <dd class="bad-text" data-field="error">
              <code>{o.error.code}</code> {o.error.message}
            </dd>
          </>
        )}
        <dt>Health</dt>
        <dd>
          {h ? (
            <>
              <HealthBadge state={h.state} />
              {h.replicasReporting !== undefined && (
                <span class="dim"> · {h.replicasReporting} reporting</span>
              )}
            </>
          ) : (
            <span class="dim">no telemetry reported</span>
          )}
        </dd>
        {h?.rates && (
          <>
            <dt>Rates</dt>
            <dd>
              in {rate(h.rates.received)}/s · out {rate(h.rates.sent)}/s · errors {rate(h.rates.errors)}/s
            </dd>
          </>
        )}
        {h?.lag && (
          <>
            <dt>Lag</dt>
            <dd>
              {count(h.lag.pending)} pending · {count(h.lag.ackPending)} awaiting ack
            </dd>
          </>
        )}
        {h?.lastError && (
          <>
            <dt>Last error</dt>
            <dd class="bad-text">
              {h.lastError.component && <code>{h.lastError.component}</code>} {h.lastError.message}{" "}
              <span class="dim">{ago(h.lastError.at)}</span>
            </dd>
          </>
        )}
        {def?.labels && Object.keys(def.labels).length > 0 && (
          <>
            <dt>Labels</dt>
            <dd>
              {Object.entries(def.labels).map(([k, v]) => (
                <span class="chip" key={k}>
                  {k}={v}
                </span>
              ))}
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

function ConfigPanel(props: { api: Api; id: string; version: string; digest: string; current?: string }) {
  const { api, id, version } = props;
  const config = useImmutable(`config:${id}/${version}@${props.digest}`, () => api.config(id, version));
  return (
    <section class="panel wide" aria-labelledby="config-title">
      <h2 id="config-title">
        Config{" "}
        <span class="dim small">
          version {version}
          {version === props.current ? " (current)" : ""}
        </span>
      </h2>
      {config.error && <p class="error">{config.error.message}</p>}
      {config.data === undefined && !config.error && <p class="dim">Loading…</p>}
      {config.data !== undefined && (
        <pre class="code config" tabIndex={0} aria-label={`config of version ${version}`}>
          {config.data}
        </pre>
      )}
    </section>
  );
}
