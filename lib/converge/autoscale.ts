// Autoscaling inside converge (CONTRACT.md §6): read the last decision (from status) and the lag
// history (from heartbeats), decide (lib/telemetry decideReplicas, pure), and record a change as a
// SCALE event. The user's definition is never rewritten: the decision lives in status.
import {
  autoscaleNoEffect,
  parseConfigYaml,
  toStatusError,
  type Autoscale,
  type DesiredStatus,
  type Log,
  type PipelineStatus,
  type ReplicasDecision,
} from "../model";
import { appendEvent, type RecordedResult, type ScaleRecord, type Store } from "../store";
import {
  configuredConsumerLag,
  decideReplicas,
  freshWithin,
  lagSamples,
  type LagSample,
  type ScaleDecision,
} from "../telemetry";

/** What scaling needs of converge's dependencies (ConvergeDeps fits; no import back into converge). */
interface ScalingDeps {
  store: Store;
  log?: Log;
  heartbeatIntervalMs?: number;
}

export interface ScaleRequest {
  autoscale: Autoscale;
  status: Exclude<DesiredStatus, "draft">;
  /** The definition's `replicas`: only the starting count. */
  replicas: number;
  /** The config's text, to read the consumer itself when no replica runs (scale from zero). */
  configText?: string;
}

export interface Scaling {
  /** What status says (without `current`, known after acting). */
  replicas: ReplicasDecision;
  /** The SCALE record to append once converge acted; null when the count did not change. */
  record: ScaleRecord | null;
}

export async function decideScaling(
  deps: ScalingDeps,
  id: string,
  request: ScaleRequest,
  now: number,
  /** The pipeline's status before this decision (converge shares one read); the store's by default. */
  readStatus: () => Promise<PipelineStatus | null> = () => deps.store.getStatus(id),
): Promise<Scaling> {
  const previous = (await readStatus().catch(() => null))?.replicas;
  const current = previous?.desired ?? request.replicas;
  const changedAt = previous ? Date.parse(previous.changedAt) : null;
  const lag = request.status === "published" ? await lagOf(deps, id, request, current, now) : [];
  const decision = decideReplicas({
    autoscale: request.autoscale,
    status: request.status,
    current,
    lag,
    changedAt,
    now,
    freshMs: freshWithin(deps.heartbeatIntervalMs ?? 5_000),
    noEffect: request.configText === undefined ? null : noEffectOf(request.configText),
  });
  const changed = decision.desired !== current;
  return {
    replicas: {
      desired: decision.desired,
      reason: decision.reason,
      // The cooldown counts from the last change, or from the first decision (the start).
      changedAt: changed || !previous ? new Date(now).toISOString() : previous.changedAt,
      autoscale: request.autoscale,
    },
    record: changed
      ? { from: current, to: decision.desired, reason: decision.reason, lag, changedAt, now }
      : null,
  };
}

/**
 * The pipeline's lag history: every kept heartbeat. With no replica wanted, nothing reports, so
 * the consumer the config names is read directly (else a pipeline scaled to zero would stay there).
 */
async function lagOf(
  deps: ScalingDeps,
  id: string,
  request: ScaleRequest,
  current: number,
  now: number,
): Promise<LagSample[]> {
  try {
    if (current === 0 && request.configText !== undefined) {
      const read = configuredConsumerLag(deps.store, request.configText);
      return read ? [{ at: now, pending: (await read()).pending }] : [];
    }
    const heartbeats = await deps.store.listHeartbeats(id);
    const reports = await Promise.all(
      heartbeats.map(async (e) => ({
        heartbeat: e.heartbeat,
        receivedAt: e.receivedAt,
        history: await deps.store.heartbeatHistory(id, e.heartbeat.replica).catch(() => []),
      })),
    );
    return lagSamples(reports);
  } catch (err) {
    // An unknown lag is not zero: the decision then keeps the count.
    deps.log?.warn("could not read the pipeline's lag", { pipeline: id, error: toStatusError(err) });
    return [];
  }
}

/** Appends the SCALE record of a converge that changed the replica count (hash-chained like every record). */
export async function recordScale(
  store: Store,
  result: RecordedResult,
  scale: ScaleRecord,
  startedAt: number,
): Promise<void> {
  const handledAt = new Date(scale.now);
  await appendEvent(store, {
    event: {
      key: result.id,
      operation: "SCALE",
      revision: result.revision,
      timestamp: handledAt.toISOString(),
    },
    trigger: "autoscale",
    outcome: "ok",
    result,
    scale,
    durationMs: Math.max(0, Date.now() - startedAt),
    handledAt: handledAt.toISOString(),
    attempts: 1,
  });
}

/** Why the config's input cannot be scaled; null when it can (or when the config cannot be read: converge reports that). */
function noEffectOf(configText: string): string | null {
  try {
    return autoscaleNoEffect(parseConfigYaml("config", configText));
  } catch {
    return null;
  }
}

/**
 * The decision a SCALE record was made from, made again (replay's "then"): the block and config of
 * the definition's revision, the count before, the recorded lag samples and clock.
 */
export function decideAsRecorded(
  request: ScaleRequest,
  scale: ScaleRecord,
  heartbeatIntervalMs = 5_000,
): ScaleDecision {
  return decideReplicas({
    autoscale: request.autoscale,
    status: request.status,
    current: scale.from,
    lag: scale.lag,
    changedAt: scale.changedAt,
    now: scale.now,
    freshMs: freshWithin(heartbeatIntervalMs),
    noEffect: request.configText === undefined ? null : noEffectOf(request.configText),
  });
}
