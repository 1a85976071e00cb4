// The pipelines list: every pipeline with its desired status, phase, health, replicas, version,
// rates and last error; filters by phase and health (kept in the address, so a view can be shared).
import { useMemo, useState } from "preact/hooks";
import type { Api } from "./api";
import { HealthBadge, PhaseBadge, StatusBadge } from "./badges";
import { rate } from "./format";
import { pipelineHref, usePoll } from "./hooks";
import { LiveStatus } from "./Live";
import type { PipelineView } from "./types";

const PHASES = ["pending", "running", "stopped", "absent", "failed", "idle"];
const HEALTH = ["healthy", "degraded", "unresponsive", "unknown"];
const NO_HEALTH = "none";

export const LIST_INTERVAL_MS = 2000;

function replicas(p: PipelineView): string {
  const o = p.observed;
  const desired = o?.replicas?.desired ?? p.definition?.replicas;
  const current = o?.replicas?.current ?? o?.executions.filter((e) => e.state === "running").length;
  if (desired === undefined) return "—";
  return current === undefined ? String(desired) : `${current}/${desired}`;
}

function version(p: PipelineView) {
  const want = p.definition?.version;
  const have = p.observed?.version;
  if (!want) return <span class="none">—</span>;
  if (have && have !== want && p.definition?.status !== "draft") {
    return (
      <span title={`desired ${want}, observed ${have}`}>
        {want} <span class="dim">(runs {have})</span>
      </span>
    );
  }
  return <span>{want}</span>;
}

function matches(p: PipelineView, phase: string, health: string, text: string): boolean {
  if (phase && (p.observed?.phase ?? "") !== phase) return false;
  const h = (p.health ?? p.observed?.health)?.state;
  if (health === NO_HEALTH ? h !== undefined && h !== null : health && h !== health) return false;
  if (text) {
    const hay = `${p.id} ${p.definition?.name ?? ""} ${Object.values(p.definition?.labels ?? {}).join(" ")}`;
    if (!hay.toLowerCase().includes(text.toLowerCase())) return false;
  }
  return true;
}

export function PipelineList({ api, query }: { api: Api; query: URLSearchParams }) {
  const polled = usePoll(() => api.list(), LIST_INTERVAL_MS, "list");
  const [phase, setPhase] = useState(query.get("phase") ?? "");
  const [health, setHealth] = useState(query.get("health") ?? "");
  const [text, setText] = useState(query.get("q") ?? "");

  const setFilter = (name: string, value: string, set: (v: string) => void) => {
    set(value);
    const next = new URLSearchParams(location.hash.split("?")[1] ?? "");
    if (value) next.set(name, value);
    else next.delete(name);
    const qs = next.toString();
    history.replaceState(null, "", `#/${qs ? `?${qs}` : ""}`);
  };

  const all = polled.data;
  const rows = useMemo(
    () => (all ?? []).filter((p) => matches(p, phase, health, text)).sort((a, b) => a.id.localeCompare(b.id)),
    [all, phase, health, text],
  );
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const p of all ?? []) {
      const k = p.observed?.phase ?? "not converged";
      c[k] = (c[k] ?? 0) + 1;
    }
    return c;
  }, [all]);

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1} id="page-title">
          Pipelines
        </h1>
        <LiveStatus polled={polled} />
      </div>
      {all && (
        <p class="summary" aria-label="summary">
          {all.length} pipeline{all.length === 1 ? "" : "s"}
          {Object.entries(counts).map(([k, n]) => (
            <span key={k}>
              {" · "}
              {n} {k}
            </span>
          ))}
        </p>
      )}
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Phase
          <select value={phase} onChange={(e) => setFilter("phase", e.currentTarget.value, setPhase)}>
            <option value="">any</option>
            {PHASES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Health
          <select value={health} onChange={(e) => setFilter("health", e.currentTarget.value, setHealth)}>
            <option value="">any</option>
            {HEALTH.map((h) => (
              <option key={h} value={h}>
                {h}
              </option>
            ))}
            <option value={NO_HEALTH}>not reported</option>
          </select>
        </label>
        <label class="grow">
          Search
          <input
            type="search"
            value={text}
            placeholder="id, name or label"
            onInput={(e) => setFilter("q", e.currentTarget.value, setText)}
          />
        </label>
      </form>
      {!all && !polled.error && <p class="dim">Loading…</p>}
      {all && all.length === 0 && (
        <div class="empty">
          <p>No pipelines yet.</p>
          <p>
            Create one with <code>npx reef init my-pipeline</code> and{" "}
            <code>npx reef apply -f my-pipeline</code>, or <code>POST /pipelines</code>.
          </p>
        </div>
      )}
      {all && all.length > 0 && (
        <div class="table-wrap">
          <table class="list" aria-label="pipelines">
            <thead>
              <tr>
                <th scope="col">Pipeline</th>
                <th scope="col">Status</th>
                <th scope="col">Phase</th>
                <th scope="col">Health</th>
                <th scope="col" class="num">
                  Replicas
                </th>
                <th scope="col">Version</th>
                <th scope="col" class="num">
                  In/s
                </th>
                <th scope="col" class="num">
                  Out/s
                </th>
                <th scope="col" class="num">
                  Errors/s
                </th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => {
                const h = p.health ?? p.observed?.health;
                // rates only from replicas that report (none: "—", not a misleading 0)
                const r = h?.replicasReporting ? h.rates : null;
                const err = p.definitionError ?? p.observed?.error ?? null;
                return (
                  <tr key={p.id} data-pipeline={p.id}>
                    <td>
                      <a href={pipelineHref(p.id)} class="pid">
                        {p.id}
                      </a>
                      {p.definition?.name && <div class="dim small">{p.definition.name}</div>}
                    </td>
                    <td>
                      <StatusBadge status={p.definition?.status} />
                      {p.definition?.mode === "job" && <div class="dim small">job</div>}
                    </td>
                    <td data-col="phase">
                      <PhaseBadge phase={p.observed?.phase} />
                    </td>
                    <td data-col="health">
                      <HealthBadge state={h?.state} />
                    </td>
                    <td class="num">{replicas(p)}</td>
                    <td>{version(p)}</td>
                    <td class="num" data-col="in">
                      {rate(r?.received)}
                    </td>
                    <td class="num" data-col="out">
                      {rate(r?.sent)}
                    </td>
                    <td class={`num${(r?.errors ?? 0) > 0 ? " bad-text" : ""}`} data-col="errors">
                      {rate(r?.errors)}
                    </td>
                    <td>
                      {err ? (
                        <code class="bad-text" title={err.message}>
                          {err.code}
                        </code>
                      ) : (
                        <span class="none">—</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {rows.length === 0 && <p class="dim">No pipeline matches these filters.</p>}
        </div>
      )}
    </>
  );
}
