// Text output of `reef events` and `reef replay` (plain lines; the CLI adds colour).
import type { EventRow, VerifyReport } from "../store";
import type { DryRunStep, PlanView } from "./dryrun";
import type { LiveStep } from "./live";

export function eventsTable(rows: EventRow[]): string {
  const head = [
    "SEQ",
    "TIME",
    "PIPELINE",
    "OP",
    "REV",
    "BY",
    "OUTCOME",
    "PHASE",
    "DURATION",
    "ACTIONS / ERROR",
  ];
  const body = rows.map((r) => [
    String(r.seq),
    r.time,
    r.pipeline,
    r.operation ?? "-",
    r.revision === null ? "-" : String(r.revision),
    r.trigger ?? "-",
    r.outcome,
    r.phase ?? "-",
    r.durationMs === null ? "-" : `${r.durationMs}ms`,
    [r.actions.join("; ") || (r.error ? "" : "(none)"), r.error ? `${r.error.code}: ${r.error.message}` : ""]
      .filter(Boolean)
      .join(" | "),
  ]);
  return table([head, ...body]);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (i === r.length - 1 ? 0 : r[i].length))));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  "))
    .join("\n");
}

export function verifyText(report: VerifyReport): string {
  const records = report.chains.reduce((n, c) => n + c.records, 0);
  const lines: string[] = [];
  const afterRetention = report.chains.filter((c) => c.startsAfterRetention);
  if (report.ok) {
    lines.push(
      `ok: ${report.chains.length} chain(s), ${records} record(s) in ${report.stream.name} (seq ${report.stream.firstSeq}..${report.stream.lastSeq})`,
    );
  } else {
    const f = report.firstBroken!;
    lines.push(
      `BROKEN: first broken link at seq ${f.seq}${f.pipeline ? ` (pipeline ${f.pipeline})` : ""}: ${f.message}`,
    );
    for (const p of report.problems.slice(1)) lines.push(`  also at seq ${p.seq} [${p.kind}]: ${p.message}`);
  }
  for (const c of afterRetention) {
    lines.push(
      `  ${c.pipeline}: chain starts at seq ${c.firstSeq}; earlier records were removed by retention`,
    );
  }
  return lines.join("\n");
}

function heading(s: { seq: number | null; pipeline: string }, op: string, revision: number): string {
  return `${s.seq === null ? "history" : `#${s.seq}`}  ${s.pipeline}  ${op} rev ${revision}`;
}

function planLine(label: string, v: PlanView | null, missing: string): string {
  if (!v) return `  ${label}: ${missing}`;
  const observed = v.observed.length
    ? v.observed.map((e) => `#${e.replica} v${e.version} ${e.state}`).join(", ")
    : "nothing";
  const actions = v.actions.length ? v.actions.join("; ") : "nothing to do";
  return `  ${label}: ${actions}   [observed: ${observed}]`;
}

export function dryRunText(s: DryRunStep): string {
  const lines = [heading(s, s.operation, s.revision)];
  const d = s.definition;
  if (d) {
    const def =
      d.operation !== "PUT"
        ? `${d.operation} (key deleted)`
        : [
            d.status ?? "?",
            d.version ? `v${d.version}` : "",
            d.replicas !== undefined ? `replicas=${d.replicas}` : "",
          ]
            .filter(Boolean)
            .join(" ");
    const desired =
      s.desired?.kind === "invalid"
        ? `invalid: ${s.desired.error.code}: ${s.desired.error.message}`
        : s.desired?.kind;
    lines.push(`  definition@${s.revision}: ${def} → desired ${desired}`);
  }
  if (s.recorded) {
    const r = s.recorded;
    const err = r.error ? `  error ${r.error.code}: ${r.error.message}` : "";
    lines.push(
      `  recorded${r.trigger === "reconcile" ? " (by the reconcile)" : ""}: ${r.outcome}${r.phase ? ` phase ${r.phase}` : ""}${r.revision !== null ? ` (acted on rev ${r.revision})` : ""}: ${r.actions.join("; ") || "nothing done"}${err}`,
    );
  }
  if (s.scale) {
    const { recorded, then, now } = s.scale;
    if (recorded) lines.push(`  scaled then: ${recorded.from} → ${recorded.to} (${recorded.reason})`);
    if (then) lines.push(`  decided again from the record: ${then.desired} (${then.reason})`);
    lines.push(
      now
        ? `  decision now: ${now.current} → ${now.desired} (${now.reason})`
        : "  decision now: unknown (status or heartbeats could not be read)",
    );
  }
  if (d) {
    lines.push(planLine("plan then", s.then, "unknown (nothing recorded)"));
    lines.push(planLine("plan now ", s.now, "unknown (executions could not be listed)"));
  }
  for (const n of s.notes) lines.push(`  note: ${n}`);
  return lines.join("\n");
}

export function liveText(s: LiveStep): string {
  const head = heading(s, s.event.operation, s.event.revision);
  if (s.error) return `${head}\n  failed after ${s.durationMs}ms: ${s.error.code}: ${s.error.message}`;
  const r = s.result!;
  const err = r.error ? `  error ${r.error.code}: ${r.error.message}` : "";
  return `${head}\n  converged (rev ${r.revision}, desired ${r.desired}) in ${s.durationMs}ms → phase ${r.phase}: ${r.actions.join("; ") || "nothing to do"}${err}`;
}
