// The autoscaling decision (CONTRACT.md §6): one pure function from (the definition's autoscale
// block and status, the replicas wanted so far, the lag history from heartbeats, the time of the
// last change, the clock) to (replicas wanted, reason). Converge writes it into status; the bridge
// computes the same from the same data to know when a converge is due. Exhaustively tested in
// test/telemetry/autoscale.test.ts.
import { cooldownMs, type Autoscale, type DesiredStatus, type ReplicasStatus } from "../model";
import { MISSED_INTERVALS, type ReplicaReport } from "./health";

/** One reported lag: when the heartbeat arrived (server time) and its consumer's pending count (null: no JetStream consumer). */
export interface LagSample {
  at: number;
  pending: number | null;
}

export interface ScaleInput {
  autoscale: Autoscale;
  /** The definition's status: only `published` pipelines scale. */
  status: DesiredStatus;
  /** The replicas wanted so far (the last decision, else the definition's `replicas`). */
  current: number;
  /** Every kept heartbeat of the pipeline, any order. */
  lag: LagSample[];
  /** When `current` was last changed (ms); null: never. */
  changedAt: number | null;
  now: number;
  /** A heartbeat older than this is not fresh (3 heartbeat intervals). */
  freshMs: number;
  /** Why the config's input cannot be scaled (lib/model autoscaleNoEffect); the count then stays. */
  noEffect?: string | null;
}

export interface ScaleDecision {
  desired: number;
  reason: string;
}

export function decideReplicas(input: ScaleInput): ScaleDecision {
  const { autoscale, current, now } = input;
  const { min, max, targetPending } = autoscale;
  if (input.status === "draft") return { desired: 0, reason: "draft: nothing runs" };
  // Paused wins: executions stay stopped, and nothing scales a paused pipeline up.
  if (input.status === "paused") return { desired: Math.min(current, max), reason: "paused: not scaled" };

  const bounded = clamp(current, min, max);
  const bounds = bounded !== current ? `; kept within min ${min} and max ${max}` : "";
  if (input.noEffect) return { desired: bounded, reason: `${input.noEffect}${bounds}` };
  const fresh = input.lag.filter((s) => now - s.at <= input.freshMs);
  if (!fresh.length) return { desired: bounded, reason: `no fresh heartbeat: the lag is unknown${bounds}` };
  const reported = fresh.filter((s): s is { at: number; pending: number } => s.pending !== null);
  if (!reported.length) {
    return {
      desired: bounded,
      reason: `no JetStream consumer lag reported: autoscale has no effect on this input${bounds}`,
    };
  }
  const newest = reported.reduce((a, b) => (b.at > a.at || (b.at === a.at && b.pending > a.pending) ? b : a));
  const pending = newest.pending;
  const target = clamp(Math.ceil(pending / targetPending), min, max);
  const need = `pending ${pending} / targetPending ${targetPending} → ${target}`;
  if (target > bounded) return { desired: target, reason: `${need}: up` };
  if (target === bounded || bounded < current) return { desired: bounded, reason: `${need}${bounds}` };

  // Down: one step, once the cooldown since the last change is over, and only if the lag is not growing.
  const cooldown = cooldownMs(autoscale);
  if (input.changedAt !== null && now - input.changedAt < cooldown) {
    const left = Math.ceil((cooldown - (now - input.changedAt)) / 1000);
    return { desired: bounded, reason: `${need}: down after the cooldown (${left}s left)` };
  }
  const window = input.lag.filter(
    (s): s is { at: number; pending: number } =>
      s.pending !== null && s.at >= now - cooldown && s.at < newest.at,
  );
  const oldest = window.reduce<{ at: number; pending: number } | undefined>(
    (a, b) => (!a || b.at < a.at ? b : a),
    undefined,
  );
  if (oldest && pending > oldest.pending) {
    return {
      desired: bounded,
      reason: `${need}: not down while the lag grows (${oldest.pending} → ${pending})`,
    };
  }
  return { desired: bounded - 1, reason: `${need}: one step down` };
}

function clamp(n: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, n));
}

/** The lag samples of a pipeline's reports: each heartbeat and the older ones kept for its key. */
export function lagSamples(reports: ReplicaReport[]): LagSample[] {
  return reports.flatMap((r) =>
    [{ heartbeat: r.heartbeat, receivedAt: r.receivedAt }, ...(r.history ?? [])].map((h) => ({
      at: h.receivedAt,
      pending: h.heartbeat.lag?.pending ?? null,
    })),
  );
}

/** Fresh means within 3 heartbeat intervals, as for health. */
export function freshWithin(intervalMs: number): number {
  return MISSED_INTERVALS * intervalMs;
}

/** The decision again from a status (which carries the block it used) and the current reports. */
export function redecide(
  replicas: ReplicasStatus,
  status: DesiredStatus,
  reports: ReplicaReport[],
  intervalMs: number,
  now: number,
): ScaleDecision | undefined {
  if (!replicas.autoscale) return undefined;
  return decideReplicas({
    autoscale: replicas.autoscale,
    status,
    current: replicas.desired,
    lag: lagSamples(reports),
    changedAt: Date.parse(replicas.changedAt),
    now,
    freshMs: freshWithin(intervalMs),
  });
}
