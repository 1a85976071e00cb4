// Job pipelines (CONTRACT.md §8): converging a job observes its runs (ends, timeouts, retries, its
// schedule) and `trigger` starts one run. Both hold the pipeline's lease, like converge, so the
// concurrency policy sees every run. A run's start, end and skip are recorded in the events stream.
import {
  definedOnly,
  ReefError,
  toStatusError,
  type Execution,
  type JobSettings,
  type Log,
  type PipelineStatus,
  type RunRecord,
  type RunTrigger,
  type StatusError,
  runResultOf,
} from "../model";
import { appendEvent, type DefinitionEntry, type RecordedEvent } from "../store";
import { runExecutorOf, runsSupported, type RunExecutor } from "../executors/runs";
import type { Executor } from "../executors/types";
import type { Store } from "../store";
import type { Desired } from "./plan";
import { applyPlan } from "./apply";
import { jobPhase, keptRuns, newRunId, scheduleDue, settleRuns } from "./runs";

/** What converging a job needs (a part of lib/converge's ConvergeDeps). */
export interface JobDeps {
  store: Store;
  executor: Executor;
  log?: Log;
  /** The clock (ms since the epoch) timeouts, retries and schedules are judged by; Date.now by default. */
  now?: () => number;
}

/** What converging a job did (the shape of lib/converge's ConvergeResult). */
export interface JobConvergeResult {
  id: string;
  revision: number;
  operation: "PUT" | "DEL" | "PURGE";
  desired: "published" | "paused";
  observed: Execution[];
  actions: string[];
  phase: PipelineStatus["phase"];
  error: StatusError | null;
  /** Look again after this long: a run is under way, a retry or a timeout is due. */
  requeueAfterMs?: number;
}

/** A published or paused job, as resolveDesired reads it. */
export type JobDesired = Extract<Desired, { kind: "published" | "paused" }> & { job: JobSettings };

export function isJob(desired: Desired): desired is JobDesired {
  return (desired.kind === "published" || desired.kind === "paused") && desired.job !== undefined;
}

export interface TriggerRequest {
  trigger: Exclude<RunTrigger, "retry">;
  /** The run's stdin. */
  payload?: Uint8Array;
  /** Gets the run's result `{ run, state, exitCode, error }` when it ends (or is skipped). */
  replyTo?: string;
}

export class JobTriggerError extends ReefError<"NOT_A_JOB" | "NOT_PUBLISHED" | "NOT_FOUND"> {
  override name = "JobTriggerError";
}

interface JobContext {
  deps: JobDeps;
  runner: RunExecutor;
  id: string;
  revision: number;
  desired: JobDesired;
  now: Date;
  records: RunRecord[];
  /** Records to append to the events stream once the status is written. */
  recorded: { operation: RecordedEvent["operation"]; run: RunRecord; action: string }[];
}

/**
 * Converges a job: observes its runs, starts due retries and a due scheduled run (published only),
 * optionally starts the run `request` asks for, writes the status and records what happened.
 * Returns the converge result, and the run started (or skipped) for `request`.
 */
export async function convergeJob(
  deps: JobDeps,
  id: string,
  entry: DefinitionEntry,
  resolved: { desired: JobDesired; desiredStatus: string | null; version: string | null },
  request?: TriggerRequest,
): Promise<{ result: JobConvergeResult; run?: RunRecord }> {
  const { store, executor } = deps;
  const now = new Date(deps.now?.() ?? Date.now());
  const desired = resolved.desired;
  const settings = desired.job;
  if (!runsSupported(executor)) {
    if (request) runExecutorOf(executor); // throws: the trigger is refused with EXECUTOR_ERROR
    return { result: await unsupported(deps, entry, resolved, now) };
  }
  const runner = executor;

  // A pipeline that was a stream keeps no replica once it is a job.
  const replicas = await executor.list(id);
  if (replicas.length) await removeReplicas(deps, id, replicas);

  const previous = await store.getStatus(id);
  const observed = await runner.listRuns(id);
  const settled = settleRuns(previous?.runs ?? [], observed, settings, now);
  const ctx: JobContext = {
    deps,
    runner,
    id,
    revision: entry.revision,
    desired,
    now,
    records: settled.records,
    recorded: [],
  };
  const actions: string[] = [];
  for (const e of settled.remove) {
    await runner.removeRun(e).catch((err: unknown) => warn(deps.log, id, "could not remove a run", err));
    actions.push(`remove run ${e.run}`);
  }
  for (const r of settled.ended)
    ctx.recorded.push({ operation: "RUN_END", run: r, action: `run ${r.run} ${r.state}` });

  let schedule = previous?.schedule;
  let started: RunRecord | undefined;
  if (desired.kind === "published") {
    for (const failed of settled.retryDue) {
      if (settings.concurrency === "forbid" && active(ctx).length) continue; // waits for the active run
      replaceRecord(ctx, { ...failed, retryAt: undefined, payload: undefined });
      await startRun(
        ctx,
        { trigger: "retry", ...(failed.payload ? { payload: Buffer.from(failed.payload, "base64") } : {}) },
        { attempt: (failed.attempt ?? 1) + 1, retryOf: failed.run },
      );
    }
    if (settings.trigger.schedule) {
      const due = scheduleDue(settings.trigger.schedule, previous?.schedule, now);
      schedule = due.schedule;
      if (due.due) await startRun(ctx, { trigger: "schedule" });
    }
    if (request) started = await startRun(ctx, request);
  } else if (request) {
    throw new JobTriggerError("NOT_PUBLISHED", `job ${id} is ${desired.kind}: publish it to trigger runs`);
  }

  const records = keptRuns(ctx.records);
  const { phase, error } = jobPhase(records);
  const executions = await runner.listRuns(id);
  const status: PipelineStatus = {
    id,
    phase,
    desired: resolved.desiredStatus,
    version: resolved.version,
    revision: entry.revision,
    executor: executor.kind,
    executions: executions.map((e) => ({
      id: e.id,
      state: e.state,
      version: e.version,
      run: e.run,
      ...(e.startedAt ? { startedAt: e.startedAt } : {}),
    })),
    error,
    mode: "job",
    runs: records.map(definedOnly),
    ...(schedule ? { schedule } : {}),
    updatedAt: now.toISOString(),
  };
  await store.writeStatus(status);

  actions.push(...ctx.recorded.map((r) => r.action));
  const result: JobConvergeResult = {
    id,
    revision: entry.revision,
    operation: entry.operation,
    desired: desired.kind,
    observed: [...replicas, ...observed],
    actions,
    phase,
    error,
  };
  await recordRuns(ctx, phase);
  const nextCheckAt = nextCheck(settings, ctx.records, now);
  if (nextCheckAt !== undefined) result.requeueAfterMs = Math.max(0, nextCheckAt - now.getTime());
  deps.log?.info("converged job", { ...result });
  return { result, ...(started ? { run: started } : {}) };
}

/** A job on an executor that cannot run jobs: failed, with the reason, and nothing started. */
async function unsupported(
  deps: JobDeps,
  entry: DefinitionEntry,
  resolved: { desired: JobDesired; desiredStatus: string | null; version: string | null },
  now: Date,
): Promise<JobConvergeResult> {
  const error = {
    code: "EXECUTOR_ERROR",
    message: `the ${deps.executor.kind} executor cannot run jobs (mode "job") yet: use REEF_EXECUTOR=process, docker or ecs`,
  };
  const previous = await deps.store.getStatus(entry.key);
  await deps.store.writeStatus({
    id: entry.key,
    phase: "failed",
    desired: resolved.desiredStatus,
    version: resolved.version,
    revision: entry.revision,
    executor: deps.executor.kind,
    executions: [],
    error,
    mode: "job",
    runs: previous?.runs ?? [],
    updatedAt: now.toISOString(),
  });
  const base = { id: entry.key, revision: entry.revision, operation: entry.operation };
  return { ...base, desired: resolved.desired.kind, observed: [], actions: [], phase: "failed", error };
}

/** The active (running) runs. */
function active(ctx: JobContext): RunRecord[] {
  return ctx.records.filter((r) => r.state === "running");
}

function replaceRecord(ctx: JobContext, record: RunRecord): void {
  ctx.records = ctx.records.map((r) => (r.run === record.run ? record : r));
}

/** Starts one run under the job's concurrency policy; returns its record (skipped under `forbid`). */
async function startRun(
  ctx: JobContext,
  request: Omit<TriggerRequest, "trigger"> & { trigger: RunTrigger },
  retry?: { attempt: number; retryOf: string },
): Promise<RunRecord> {
  const { desired, now, id } = ctx;
  const iso = now.toISOString();
  const base: RunRecord = {
    run: newRunId(now),
    trigger: request.trigger,
    startedAt: iso,
    endedAt: null,
    state: "running",
    exitCode: null,
    error: null,
    attempt: retry?.attempt ?? 1,
    ...(retry ? { retryOf: retry.retryOf } : {}),
    ...(desired.version ? { version: desired.version } : {}),
    ...(request.replyTo ? { replyTo: request.replyTo } : {}),
    // Kept while a retry may need it (lib/converge/runs.ts drops it when the run ends for good).
    ...(request.payload?.byteLength && (retry?.attempt ?? 1) <= desired.job.retries
      ? { payload: Buffer.from(request.payload).toString("base64") }
      : {}),
  };
  const running = active(ctx);
  if (desired.job.concurrency === "forbid" && running.length) {
    const { payload: _payload, ...rest } = base;
    const skipped: RunRecord = {
      ...rest,
      state: "skipped",
      endedAt: iso,
      error: {
        code: "RUN_SKIPPED",
        message: `run ${running[0].run} is active and concurrency is forbid`,
      },
    };
    ctx.records = [skipped, ...ctx.records];
    ctx.recorded.push({ operation: "RUN_SKIP", run: skipped, action: `run ${skipped.run} skipped` });
    return skipped;
  }
  if (desired.job.concurrency === "replace") {
    const executions = await ctx.runner.listRuns(id);
    for (const r of running) {
      const execution = executions.find((e) => e.run === r.run);
      if (execution) await ctx.runner.removeRun(execution);
      const { payload: _payload, ...rest } = r;
      const replaced: RunRecord = {
        ...rest,
        state: "failed",
        endedAt: iso,
        exitCode: null,
        error: { code: "RUN_REPLACED", message: `replaced by run ${base.run} (concurrency replace)` },
      };
      replaceRecord(ctx, replaced);
      ctx.recorded.push({ operation: "RUN_END", run: replaced, action: `run ${r.run} replaced` });
    }
  }
  if (desired.kind !== "published") throw new Error("unreachable: runs start only when published");
  let record = base;
  try {
    await ctx.runner.startRun({
      pipeline: id,
      version: desired.version,
      digest: desired.digest,
      replica: 0,
      run: base.run,
      ...(request.payload ? { stdin: request.payload } : {}),
      ...(desired.job.timeoutMs !== undefined ? { timeoutMs: desired.job.timeoutMs } : {}),
    });
    ctx.recorded.push({
      operation: "RUN_START",
      run: base,
      action: `run ${base.run} started (${base.trigger})`,
    });
  } catch (err) {
    record = {
      ...base,
      state: "failed",
      endedAt: iso,
      exitCode: null,
      error: toStatusError(err, "EXECUTOR_ERROR"),
    };
    ctx.recorded.push({ operation: "RUN_END", run: record, action: `run ${base.run} could not start` });
  }
  ctx.records = [record, ...ctx.records];
  return record;
}

async function removeReplicas(deps: JobDeps, id: string, replicas: Execution[]): Promise<void> {
  await applyPlan(deps.executor, {
    pipeline: id,
    target: { state: "absent" },
    actions: replicas.map((execution) => ({ type: "remove", execution })),
  });
}

/** When the job must be looked at again by itself: a run's timeout, a retry, or a run still going. */
function nextCheck(settings: JobSettings, records: RunRecord[], now: Date): number | undefined {
  let at: number | undefined;
  const soonest = (t: number) => (at = Math.min(at ?? t, t));
  for (const r of records) {
    if (r.retryAt) soonest(Date.parse(r.retryAt));
    if (r.state === "running") {
      // A run's end is observed: look again soon while one runs (bounded by its timeout).
      soonest(now.getTime() + 1_000);
      if (settings.timeoutMs !== undefined) soonest(Date.parse(r.startedAt) + settings.timeoutMs);
    }
  }
  return at;
}

/** Appends the run records and publishes the results of ended or skipped runs to their reply subjects. */
async function recordRuns(ctx: JobContext, phase: string): Promise<void> {
  const { deps, id, now } = ctx;
  for (const { operation, run, action } of ctx.recorded) {
    try {
      await appendEvent(deps.store, {
        event: { key: id, operation, revision: ctx.revision, timestamp: now.toISOString() },
        trigger: "run",
        run: definedOnly(run),
        outcome: run.state === "failed" ? "failed" : "ok",
        ...(run.state === "failed" && run.error
          ? { error: run.error }
          : {
              result: {
                id,
                revision: ctx.revision,
                operation,
                desired: ctx.desired.kind,
                observed: [],
                actions: [action],
                phase,
                error: run.error,
              },
            }),
        durationMs: 0,
        handledAt: now.toISOString(),
        attempts: 1,
      });
    } catch (err) {
      warn(deps.log, id, "a run's record could not be appended", err);
    }
    if (operation !== "RUN_START" && run.replyTo) {
      try {
        deps.store.publish(run.replyTo, JSON.stringify(runResultOf(run)));
      } catch (err) {
        warn(deps.log, id, "a run's result could not be replied", err);
      }
    }
  }
  await deps.store.flush().catch(() => undefined);
}

function warn(log: Log | undefined, id: string, message: string, err: unknown): void {
  const error: StatusError = toStatusError(err);
  log?.warn(message, { pipeline: id, error });
}
