// The reconciler: the one place that turns a pipeline's desired state into actions.
// Level-triggered: it reads the CURRENT definition and executions, whatever event woke it.
import {
  forEachBounded,
  parseConfigYaml,
  ConfigNotFoundError,
  parseDefinition,
  jobSettingsOf,
  toStatusError,
  type Execution,
  type Log,
  type Health,
  type Phase,
  type PipelineStatus,
  type RunRecord,
  type StatusError,
} from "../model";
import type { DefinitionEntry, Store } from "../store";
import { observeHealth, unknownHealth } from "../telemetry";
import { describeAction, type Executor } from "../executors/types";
import { applyPlan } from "./apply";
import { decideScaling, recordScale, type ScaleRequest } from "./autoscale";
import { plan, type Desired } from "./plan";
import { notRecorded, reconcileActed, recordReconcileStep, type ReconcileStep } from "./record";
import { buildStatus } from "./status";
import { convergeJob, isJob, JobTriggerError, type TriggerRequest } from "./job";
import { runsSupported } from "../executors/runs";

export interface ConvergeDeps {
  store: Store;
  executor: Executor;
  log?: Log;
  /** REEF_HEARTBEAT_INTERVAL of the executions (default 5 s): health counts missed heartbeats in it. */
  heartbeatIntervalMs?: number;
  /** The clock (ms since the epoch) restarts are paced and autoscaling decides by; Date.now by default. */
  now?: () => number;
}

export interface ConvergeOptions {
  /** Aborted: no further step starts (those under way finish) and converge throws the reason. */
  signal?: AbortSignal;
}

/** While executions are pending, converge asks to be called again after this long (by default). */
export const PENDING_RECHECK_MS = 1_000;

export interface ConvergeResult {
  id: string;
  /** The `pipelines` KV revision acted on; 0 when the key has no entry at all. */
  revision: number;
  operation: "PUT" | "DEL" | "PURGE" | "NONE";
  desired: Desired["kind"];
  /** The executions found before acting: with the definition, enough to re-plan this step later. */
  observed: Execution[];
  actions: string[];
  /** `deleted` when the status entry was removed with the definition. */
  phase: Phase | "deleted";
  error: StatusError | null;
  /**
   * Set while the pipeline is on its way (`pending`: executions starting or stopping), or when a
   * restart of a failed execution is held back: converge it again after this many milliseconds
   * (controller-runtime's RequeueAfter). The bridge does; nothing waits inside a converge.
   */
  requeueAfterMs?: number;
}

interface Resolved {
  desired: Desired;
  desiredStatus: string | null;
  version: string | null;
  /** Published or paused with an `autoscale` block: what the scaler decides from. */
  scale?: ScaleRequest;
}

/** Converges one pipeline to its current definition. Safe to call repeatedly and concurrently. */
export async function converge(
  deps: ConvergeDeps,
  id: string,
  opts: ConvergeOptions = {},
): Promise<ConvergeResult> {
  opts.signal?.throwIfAborted();
  return deps.store.withLease(id, () => convergeLocked(deps, id, opts));
}

async function convergeLocked(
  deps: ConvergeDeps,
  id: string,
  opts: ConvergeOptions,
): Promise<ConvergeResult> {
  const { store, executor, log } = deps;
  const entry = await store.getDefinitionEntry(id);
  const resolved = await resolveDesired(store, id, entry);
  if (entry && isJob(resolved.desired)) {
    return (await convergeJob(deps, id, entry, { ...resolved, desired: resolved.desired })).result;
  }
  // The status before this converge, read at most once (removeRuns and the scaler both look at it).
  let previousStatus: Promise<PipelineStatus | null> | undefined;
  const readStatus = () => (previousStatus ??= store.getStatus(id));
  // Runs of a job that is now a stream, a draft or deleted go (an invalid definition keeps them).
  if (resolved.desired.kind !== "invalid") await removeRuns(deps, id, resolved.desired.kind, readStatus);
  const startedAt = Date.now();
  const now = deps.now?.() ?? startedAt;
  const scaling = resolved.scale && (await decideScaling(deps, id, resolved.scale, now, readStatus));
  if (scaling && resolved.desired.kind === "published") {
    resolved.desired = { ...resolved.desired, replicas: scaling.replicas.desired };
  }
  const observed = await executor.list(id);
  const thePlan = plan(id, resolved.desired, observed, { now });

  let applyError: StatusError | undefined;
  try {
    await applyPlan(executor, thePlan, { signal: opts.signal, log });
  } catch (err) {
    if (opts.signal?.aborted) throw err; // not converged: the caller tries again
    applyError = toStatusError(err, "EXECUTOR_ERROR");
    log?.error("executor failed", { pipeline: id, error: applyError });
  }
  // What the steps did (a start may already have failed, e.g. ENGINE_NOT_FOUND), never waited for.
  const executions = thePlan.actions.length ? await executor.list(id) : observed;
  const health = await healthOf(deps, id, resolved.desired, executions);

  const revision = entry?.revision ?? 0;
  const result: ConvergeResult = {
    id,
    revision,
    operation: entry?.operation ?? "NONE",
    desired: resolved.desired.kind,
    observed,
    actions: thePlan.actions.map(describeAction),
    phase: "deleted",
    error: applyError ?? null,
  };

  if (resolved.desired.kind === "deleted" && executions.length === 0 && !applyError) {
    await store.deleteStatus(id);
  } else {
    const status = buildStatus({
      id,
      desired: resolved.desired,
      desiredStatus: resolved.desiredStatus,
      version: resolved.version,
      revision,
      executor: executor.kind,
      executions,
      applyError,
      health,
      replicas: scaling?.replicas,
    });
    await store.writeStatus(status);
    result.phase = status.phase;
    result.error = status.error;
    const recheck = [
      status.phase === "pending" ? (executor.pendingRecheckMs ?? PENDING_RECHECK_MS) : undefined,
      thePlan.restartDueInMs,
    ].filter((ms): ms is number => ms !== undefined);
    if (recheck.length) result.requeueAfterMs = Math.min(...recheck);
    if (scaling?.record) await recordScale(store, result, scaling.record, startedAt);
  }
  log?.info("converged", { ...result });
  return result;
}

/**
 * The pipeline's health from its executions' heartbeats. A pipeline that must not run has none:
 * its heartbeats are removed. Reading them never fails a converge (the status then has no health).
 */
async function healthOf(
  deps: ConvergeDeps,
  id: string,
  desired: Desired,
  executions: Execution[],
): Promise<Health | undefined> {
  try {
    if (desired.kind === "draft" || desired.kind === "deleted") {
      await deps.store.deleteHeartbeats(id);
      return unknownHealth();
    }
    return (await observeHealth(deps.store, id, executions, deps.heartbeatIntervalMs ?? 5_000)).health;
  } catch (err) {
    deps.log?.warn("could not read the pipeline's heartbeats", { pipeline: id, error: toStatusError(err) });
    return undefined;
  }
}

/** Reads what the definition asks for. Any problem becomes `invalid` with a precise error. */
export async function resolveDesired(
  store: Store,
  id: string,
  entry: DefinitionEntry | null,
): Promise<Resolved> {
  if (!entry || entry.operation !== "PUT") {
    return { desired: { kind: "deleted" }, desiredStatus: null, version: null };
  }
  let def;
  try {
    def = parseDefinition(id, entry.value);
  } catch (err) {
    return {
      desired: { kind: "invalid", error: toStatusError(err, "INVALID_DEFINITION") },
      desiredStatus: rawStatusField(entry.value),
      version: null,
    };
  }
  const base = { desiredStatus: def.status, version: def.version ?? null };
  const job = jobSettingsOf(def);
  if (def.status === "draft") return { ...base, desired: { kind: "draft" } };
  const scale = (configText?: string): ScaleRequest | undefined =>
    def.autoscale && def.status !== "draft"
      ? { autoscale: def.autoscale, status: def.status, replicas: def.replicas, configText }
      : undefined;
  if (def.status === "paused") {
    return {
      ...base,
      desired: { kind: "paused", version: def.version, ...(job ? { job } : {}) },
      scale: scale(),
    };
  }

  const version = def.version!; // the schema requires a version unless draft
  try {
    const config = await store.getConfig(id, version);
    if (!config) throw new ConfigNotFoundError(id, version);
    parseConfigYaml(`config ${id}/${version}`, config.bytes);
    return {
      ...base,
      desired: {
        kind: "published",
        version,
        digest: config.digest,
        replicas: def.replicas,
        ...(job ? { job } : {}),
      },
      scale: scale(new TextDecoder().decode(config.bytes)),
    };
  } catch (err) {
    return { ...base, desired: { kind: "invalid", error: toStatusError(err, "INVALID_CONFIG") } };
  }
}

function rawStatusField(value: Uint8Array): string | null {
  try {
    const s = (JSON.parse(new TextDecoder().decode(value)) as { status?: unknown }).status;
    return typeof s === "string" ? s : null;
  } catch {
    return null;
  }
}

/**
 * Removes every run of the pipeline (executors that cannot run jobs have none); when a job was
 * drafted or deleted, also what its runs shared (the ECS executor's task definitions). Only a
 * pipeline whose status says it was a job (or a deleted one: its status may be gone) is looked at,
 * so a stream's converge asks the executor nothing more.
 */
async function removeRuns(
  deps: ConvergeDeps,
  id: string,
  kind: Desired["kind"],
  readStatus: () => Promise<PipelineStatus | null>,
): Promise<void> {
  if (!runsSupported(deps.executor)) return;
  const wasJob = (await readStatus())?.mode === "job";
  if (!wasJob && kind !== "deleted") return;
  const runner = deps.executor;
  for (const run of await runner.listRuns(id)) await runner.removeRun(run);
  if (runner.removeJob && wasJob && (kind === "draft" || kind === "deleted")) await runner.removeJob(id);
}

export interface ReconcileResult {
  results: ConvergeResult[];
  /** Pipelines that had executions or a status but no definition: cleaned up. */
  orphans: string[];
  failures: { id: string; error: StatusError }[];
}

/**
 * Converges every pipeline reef knows of: every defined key, plus every pipeline that still has
 * labelled executions or a status entry without a definition (orphans, removed by the same rules).
 * What it does is recorded in the events stream (lib/converge/record.ts).
 */
export async function reconcile(
  deps: ConvergeDeps,
  concurrency = 4,
  opts: ConvergeOptions = {},
): Promise<ReconcileResult> {
  const defined = await deps.store.listDefinitionKeys();
  const withExecutions = (await deps.executor.list()).map((e) => e.pipeline);
  if (runsSupported(deps.executor)) {
    withExecutions.push(...(await deps.executor.listRuns()).map((e) => e.pipeline));
  }
  const statuses = await deps.store.listStatuses();
  const statusRevision = new Map(statuses.map((s) => [s.id, s.revision]));
  const definedSet = new Set(defined);
  const orphans = [...new Set([...withExecutions, ...statusRevision.keys()])]
    .filter((id) => !definedSet.has(id))
    .sort();
  const ids = [...defined, ...orphans];

  const results: ConvergeResult[] = [];
  const failures: ReconcileResult["failures"] = [];
  const record = async (step: ReconcileStep) => {
    try {
      await recordReconcileStep(deps.store, step);
    } catch (err) {
      failures.push({ id: step.id, error: notRecorded(err) });
      deps.log?.error("reconcile step not recorded", { pipeline: step.id, error: notRecorded(err) });
    }
  };
  await forEachBounded(ids, concurrency, opts.signal, async (id) => {
    const startedAt = Date.now();
    try {
      const result = await converge(deps, id, opts);
      results.push(result);
      if (reconcileActed(result, statusRevision.get(id))) await record({ id, result, startedAt });
    } catch (err) {
      if (opts.signal?.aborted) return;
      failures.push({ id, error: toStatusError(err) });
      deps.log?.error("converge failed during reconcile", { pipeline: id, error: toStatusError(err) });
      await record({ id, error: toStatusError(err), startedAt });
    }
  });
  opts.signal?.throwIfAborted();
  return { results, orphans, failures };
}

/** What `trigger` answers: the run started (or skipped), and the job's converge. */
export interface TriggerAnswer {
  run: RunRecord;
  result: ConvergeResult;
}

/**
 * Starts one run of a published job (CONTRACT.md §8) under the job's concurrency policy, after
 * observing its runs; returns the run's record (`skipped` under `forbid` while one runs).
 */
export async function triggerJob(
  deps: ConvergeDeps,
  id: string,
  request: TriggerRequest,
): Promise<TriggerAnswer> {
  return deps.store.withLease(id, async () => {
    const entry = await deps.store.getDefinitionEntry(id);
    if (!entry || entry.operation !== "PUT") {
      throw new JobTriggerError("NOT_FOUND", `pipeline ${id} does not exist`);
    }
    const resolved = await resolveDesired(deps.store, id, entry);
    const desired = resolved.desired;
    if (desired.kind === "invalid") {
      throw new JobTriggerError("NOT_PUBLISHED", `pipeline ${id} is invalid: ${desired.error.message}`);
    }
    if (!isJob(desired)) {
      throw new JobTriggerError(
        "NOT_A_JOB",
        `pipeline ${id} is a stream: only mode "job" pipelines are triggered`,
      );
    }
    const { result, run } = await convergeJob(deps, id, entry, { ...resolved, desired }, request);
    if (!run) throw new JobTriggerError("NOT_PUBLISHED", `job ${id} is not published`);
    return { run, result };
  });
}
