// Text presentation and argument parsing of the `reef` CLI (the API returns JSON).
import { InvalidArgumentError } from "commander";
import { ID_RULE, isValidId, isValidVersion, VERSION_RULE, type PipelineStatus } from "../model";
import type { PipelineView, WriteResult } from "../pipelines";

/** commander argument parser for pipeline ids: a bad id is a usage error (exit 2). */
export function parseIdArg(value: string): string {
  if (!isValidId(value)) throw new InvalidArgumentError(ID_RULE);
  return value;
}

export function parseVersionArg(value: string): string {
  if (!isValidVersion(value)) throw new InvalidArgumentError(VERSION_RULE);
  return value;
}

export function parseIntArg(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a non-negative integer");
  return Number(value);
}

/** A short age: 42s, 5m, 3h, 2d. */
export function age(iso: string | undefined | null, now = Date.now()): string {
  if (!iso) return "-";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return "-";
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Left-aligned columns padded to the widest cell (colour codes do not count). */
export function table(header: string[], rows: string[][]): string {
  const width = (s: string) => s.replace(ANSI, "").length;
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i] - width(c))))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

export function truncate(s: string, max: number): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > max ? one.slice(0, max - 1) + "…" : one;
}

/** The executions a pipeline wants: the autoscaler's count when it decides, else `replicas`. */
export function wantedReplicas(view: PipelineView): number {
  const d = view.definition;
  if (d?.status !== "published") return 0;
  return (d.autoscale ? view.observed?.replicas?.desired : undefined) ?? d.replicas ?? 1;
}

/** `running/desired` executions of a pipeline. */
export function executionsCell(view: PipelineView): string {
  const o = view.observed;
  const wanted = wantedReplicas(view);
  const running = o ? o.executions.filter((e) => e.state === "running").length : 0;
  return `${running}/${wanted}`;
}

/** The observed phase; `(behind)` while the status reflects an older definition revision. */
export function phaseCell(view: PipelineView): string {
  const o = view.observed;
  if (!o) return "-";
  return o.revision < view.revision ? `${o.phase} (behind)` : o.phase;
}

/** The health state from the status (`-` before telemetry reported). */
export function healthCell(view: PipelineView): string {
  return view.observed?.health?.state ?? "-";
}

/** A rate per second, short: 0, 3.5, 120, 1.2k. */
export function rate(n: number): string {
  if (n >= 10_000) return `${(n / 1000).toFixed(0)}k`;
  if (n >= 1_000) return `${(n / 1000).toFixed(1)}k`;
  if (n >= 100 || Number.isInteger(n)) return n.toFixed(0);
  return n.toFixed(1);
}

export function errorCell(view: PipelineView, max = 60): string {
  const e = view.definitionError ?? view.observed?.error;
  return e ? truncate(`${e.code}: ${e.message}`, max) : "-";
}

/** One line per write: `orders: new version 2, status draft → published (revision 7)`. */
export function describeWrite(r: WriteResult): string {
  const what = r.action === "unchanged" ? "unchanged" : r.changes.join(", ") || r.action;
  const rev = r.dryRun ? " (dry run)" : r.revision !== null ? ` (revision ${r.revision})` : "";
  return `${r.id}: ${what}${rev}`;
}

export function statusLine(s: PipelineStatus | null, id: string): string {
  if (!s) return `${new Date().toISOString()} ${id}: status deleted`;
  const running = s.executions.filter((e) => e.state === "running").length;
  const err = s.error ? ` error=${s.error.code}: ${truncate(s.error.message, 80)}` : "";
  const h = s.health;
  const health = h
    ? ` health=${h.state} in/s=${rate(h.rates.received)} out/s=${rate(h.rates.sent)} err/s=${rate(h.rates.errors)}${h.lag ? ` lag=${h.lag.pending}` : ""}${h.lastError && h.state !== "healthy" ? ` last-error=${truncate(`${h.lastError.component}: ${h.lastError.message}`, 80)}` : ""}`
    : "";
  return `${s.updatedAt} ${s.id}: phase=${s.phase} desired=${s.desired ?? "-"} version=${s.version ?? "-"} executions=${running}/${s.executions.length} revision=${s.revision}${health}${err}`;
}
