// The bridge's view of health: it watches `pipeline-health` (and `pipeline-status`) and calls back
// when a pipeline's health STATE differs from the one its status shows, or when the autoscaler would
// now want another replica count than its status shows, so that converge (the only writer of
// status) acts on it. Not on every heartbeat: rates alone never trigger a converge.
import { sleep, STATUSES, type DesiredStatus, type HealthState, type PipelineStatus } from "../model";
import type { Store } from "../store";
import { redecide } from "./autoscale";
import { foldHealth, type ReplicaReport } from "./health";

export interface HealthMonitorOptions {
  store: Store;
  intervalMs: number;
  signal: AbortSignal;
  /** The pipeline's health state or wanted replica count differs from its status (`change` says how): converge it. */
  onChange(id: string, status: PipelineStatus, change: string): void;
  log: { warn(message: string, ...fields: Record<string, unknown>[]): void };
  now?: () => number;
}

/** Heartbeats kept per key (enough to see 3 intervals back). */
const HISTORY = 8;

export class HealthMonitor {
  private readonly statuses = new Map<string, PipelineStatus>();
  private readonly reports = new Map<string, ReplicaReport>();
  /** The change last asked for, per pipeline, until its status shows it (no repeated requests). */
  private readonly requested = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: HealthMonitorOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Watches until the signal aborts; each watch restarts by itself (bounded backoff) if it ends. */
  start(): Promise<void> {
    const { signal, intervalMs } = this.opts;
    this.timer = setInterval(() => this.check(), Math.max(100, Math.floor(intervalMs / 2)));
    signal.addEventListener("abort", () => clearInterval(this.timer), { once: true });
    return Promise.all([
      this.supervise("heartbeats", async () => {
        for await (const c of this.opts.store.watchHeartbeats(signal)) {
          if (!c.entry) {
            this.reports.delete(c.key);
            continue;
          }
          const prev = this.reports.get(c.key);
          const history = [
            ...(prev?.history ?? []),
            ...(prev ? [{ heartbeat: prev.heartbeat, receivedAt: prev.receivedAt }] : []),
          ];
          this.reports.set(c.key, {
            heartbeat: c.entry.heartbeat,
            receivedAt: c.entry.receivedAt,
            history: history.slice(-HISTORY),
          });
        }
      }),
      this.supervise("statuses", async () => {
        for await (const { id, status } of this.opts.store.watchStatuses(signal)) {
          if (status) this.statuses.set(id, status);
          else this.statuses.delete(id);
        }
      }),
    ]).then(() => undefined);
  }

  /** The health state the monitor computes for one pipeline now (undefined: no status yet). */
  stateOf(id: string, reports: ReplicaReport[] = this.reportsOf(id)): HealthState | undefined {
    const status = this.statuses.get(id);
    if (!status) return undefined;
    const executions = status.executions.map((e) => ({
      replica: typeof e.replica === "number" ? e.replica : -1,
      state: e.state,
      startedAt: typeof e.startedAt === "string" ? e.startedAt : undefined,
    }));
    return foldHealth({ executions, reports, intervalMs: this.opts.intervalMs, now: this.now() }).state;
  }

  /** The replica count the autoscaler would now want (undefined: the pipeline does not autoscale). */
  replicasOf(id: string, reports: ReplicaReport[] = this.reportsOf(id)): number | undefined {
    const status = this.statuses.get(id);
    const desired = STATUSES.find((s): s is DesiredStatus => s === status?.desired);
    if (!status?.replicas || !desired) return undefined;
    return redecide(status.replicas, desired, reports, this.opts.intervalMs, this.now())?.desired;
  }

  /** Compares every pipeline's computed state (and replica count) with its status; calls back on a difference. */
  check(): void {
    // The reports grouped by pipeline once, not filtered out of all of them per pipeline (twice).
    const byPipeline = new Map<string, ReplicaReport[]>();
    for (const r of this.reports.values()) {
      const mine = byPipeline.get(r.heartbeat.id);
      if (mine) mine.push(r);
      else byPipeline.set(r.heartbeat.id, [r]);
    }
    for (const [id, status] of this.statuses) {
      const reports = byPipeline.get(id) ?? [];
      const state = this.stateOf(id, reports)!;
      const shown = status.health?.state ?? "unknown";
      const replicas = this.replicasOf(id, reports);
      const changes = [
        state !== shown ? `health ${shown} → ${state}` : "",
        replicas !== undefined && replicas !== status.replicas?.desired
          ? `replicas ${status.replicas?.desired} → ${replicas}`
          : "",
      ].filter(Boolean);
      if (!changes.length) {
        this.requested.delete(id);
        continue;
      }
      const change = changes.join("; ");
      if (this.requested.get(id) === change) continue;
      this.requested.set(id, change);
      this.opts.onChange(id, status, change);
    }
  }

  private reportsOf(id: string): ReplicaReport[] {
    return [...this.reports.values()].filter((r) => r.heartbeat.id === id);
  }

  private async supervise(what: string, watch: () => Promise<void>): Promise<void> {
    const { signal, log } = this.opts;
    for (let delay = 250; !signal.aborted; delay = Math.min(delay * 2, 10_000)) {
      try {
        await watch();
      } catch (err) {
        if (!signal.aborted) log.warn(`${what} watch failed; retrying`, { error: String(err) });
      }
      await sleep(delay, signal);
    }
  }
}
