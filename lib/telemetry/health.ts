// Health folding (CONTRACT.md §6): one pure function from (running executions, their heartbeats,
// the clock) to a pipeline's health. The bridge uses it to notice a change; converge to write it.
import type { Counters, Health, HealthState, Heartbeat, Lag } from "../model";

/** An execution as the executor reports it (only what the fold needs). */
export interface ObservedExecution {
  replica: number;
  state: string;
  /** When the executor started it; unknown → it gets no grace to send its first heartbeat. */
  startedAt?: string;
}

/** A heartbeat with the server's time of the write, and the older ones still kept for its key. */
export interface ReplicaReport {
  heartbeat: Heartbeat;
  receivedAt: number;
  /** Earlier heartbeats of the same key (any order): show whether input arrived while nothing was sent. */
  history?: { heartbeat: Heartbeat; receivedAt: number }[];
}

export interface HealthInput {
  executions: ObservedExecution[];
  reports: ReplicaReport[];
  intervalMs: number;
  now: number;
}

/** How many intervals without a heartbeat make an execution unresponsive, and input without output stalled. */
export const MISSED_INTERVALS = 3;

const ZERO: Counters = { received: 0, sent: 0, errors: 0 };

export function foldHealth(input: HealthInput): Health {
  const { intervalMs, now } = input;
  const limit = MISSED_INTERVALS * intervalMs;
  const running = input.executions.filter((e) => e.state === "running");
  const byReplica = new Map<number, ReplicaReport>();
  for (const r of input.reports) {
    const seen = byReplica.get(r.heartbeat.replica);
    if (!seen || seen.receivedAt < r.receivedAt) byReplica.set(r.heartbeat.replica, r);
  }

  const reporting: ReplicaReport[] = [];
  let unresponsive = false;
  for (const e of running) {
    const r = byReplica.get(e.replica);
    if (r && now - r.receivedAt <= limit) {
      reporting.push(r);
      continue;
    }
    // Silent: a new execution has until 3 intervals after its start (or after its last start, when
    // an older heartbeat of a previous life is still kept) to send its first heartbeat.
    const started = e.startedAt ? Date.parse(e.startedAt) : NaN;
    const fresh = Number.isFinite(started) && now - started <= limit && (!r || r.receivedAt < started);
    if (!fresh) unresponsive = true;
  }

  const rates = reporting.reduce<Counters>(
    (sum, r) => ({
      received: sum.received + r.heartbeat.rates.received,
      sent: sum.sent + r.heartbeat.rates.sent,
      errors: sum.errors + r.heartbeat.rates.errors,
    }),
    ZERO,
  );
  const lags = reporting.map((r) => r.heartbeat.lag).filter((l): l is Lag => l !== null);
  const lag = lags.length
    ? {
        pending: Math.max(...lags.map((l) => l.pending)),
        ackPending: Math.max(...lags.map((l) => l.ackPending)),
      }
    : null;
  let lastError: Health["lastError"] = null;
  for (const r of reporting) {
    const e = r.heartbeat.lastError;
    if (e && (!lastError || e.at > lastError.at)) lastError = { ...e, replica: r.heartbeat.replica };
  }
  const newest = reporting.reduce((t, r) => Math.max(t, r.receivedAt), 0);

  let state: HealthState;
  if (running.length === 0) state = "unknown";
  else if (unresponsive) state = "unresponsive";
  else if (reporting.some((r) => r.heartbeat.rates.errors > 0 || r.heartbeat.state === "failed"))
    state = "degraded";
  else if (reporting.some((r) => stalled(r, intervalMs))) state = "degraded";
  else if (reporting.length === 0) state = "unknown";
  else state = "healthy";

  return {
    state,
    replicasReporting: reporting.length,
    rates: { received: round(rates.received), sent: round(rates.sent), errors: round(rates.errors) },
    lag,
    lastError: state === "unknown" ? null : lastError,
    updatedAt: new Date(newest || now).toISOString(),
  };
}

/**
 * Input received while nothing was sent for 3 intervals: against the newest kept heartbeat of the
 * same execution life that is at least ~3 intervals older, received grew and sent did not.
 */
export function stalled(r: ReplicaReport, intervalMs: number): boolean {
  const h = r.heartbeat;
  if (h.rates.received === 0 || h.rates.sent > 0) return false;
  const horizon = r.receivedAt - (MISSED_INTERVALS - 0.5) * intervalMs;
  let base: { heartbeat: Heartbeat; receivedAt: number } | undefined;
  for (const old of r.history ?? []) {
    if (old.heartbeat.startedAt !== h.startedAt || old.receivedAt > horizon) continue;
    if (!base || old.receivedAt > base.receivedAt) base = old;
  }
  return (
    !!base &&
    h.counters.received > base.heartbeat.counters.received &&
    h.counters.sent === base.heartbeat.counters.sent
  );
}

/** A report's last interval looks stalled: only then is its history worth reading. */
export function mayBeStalled(h: Heartbeat): boolean {
  return h.rates.received > 0 && h.rates.sent === 0;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
