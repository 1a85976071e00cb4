// The job planner: pure functions from (run records, observed run executions, settings, time) to
// what must happen. A run's end is observed (exit code and error from the executor's view of the
// runner), never assumed; a run is never restarted: a retry is a new run, recorded as such.
import {
  nextCronTime,
  RUNS_KEPT,
  type JobSettings,
  type Phase,
  type RunRecord,
  type ScheduleStatus,
  type StatusError,
} from "../model";
import type { RunExecution } from "../executors/runs";

/** The delay before retry `attempt` (1 = the first retry): 1 s, 2 s, 4 s, … at most 60 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, attempt - 1), 60_000);
}

export interface SettledRuns {
  /** The records after this look (newest first). */
  records: RunRecord[];
  /** Executions to remove: their run ended (or passed its timeout, or no record wants them). */
  remove: RunExecution[];
  /** Records that ended in this look: their end is recorded and replied to. */
  ended: RunRecord[];
  /** Failed runs whose retry is due now (their `retryAt` passed). */
  retryDue: RunRecord[];
}

/**
 * Folds what the executor reports into the run records: a `running` record whose execution
 * exited is `succeeded`; failed, or gone, is `failed`; past its timeout, it is failed and its
 * execution removed. Executions with no running record are removed (a run ended or replaced).
 */
export function settleRuns(
  records: RunRecord[],
  observed: RunExecution[],
  settings: JobSettings,
  now: Date,
): SettledRuns {
  const byRun = new Map(observed.map((e) => [e.run, e]));
  const remove: RunExecution[] = [];
  const ended: RunRecord[] = [];
  const wanted = new Set<string>();
  const iso = now.toISOString();

  const next = records.map((record): RunRecord => {
    if (record.state !== "running") return record;
    const execution = byRun.get(record.run);
    const end = (state: "succeeded" | "failed", exitCode: number | null, error: StatusError | null) => {
      const { payload, ...rest } = record;
      const done: RunRecord = { ...rest, state, endedAt: iso, exitCode, error };
      if (state === "failed" && (record.attempt ?? 1) <= settings.retries) {
        done.retryAt = new Date(now.getTime() + retryDelayMs(record.attempt ?? 1)).toISOString();
        if (payload !== undefined) done.payload = payload; // the retry gets the same stdin
      }
      ended.push(done);
      if (execution) remove.push(execution);
      return done;
    };
    if (!execution) {
      // Started moments ago by another converge and not listed yet: give it a moment.
      if (now.getTime() - Date.parse(record.startedAt) < 10_000) return record;
      return end("failed", null, { code: "RUN_LOST", message: `the execution of run ${record.run} is gone` });
    }
    if (execution.state === "exited") return end("succeeded", 0, null);
    if (execution.state === "failed") {
      return end(
        "failed",
        execution.exitCode ?? 1,
        execution.error ?? { code: "ENGINE_FAILED", message: `run ${record.run} failed` },
      );
    }
    if (settings.timeoutMs !== undefined) {
      const deadline = Date.parse(record.startedAt) + settings.timeoutMs;
      if (now.getTime() >= deadline) {
        return end("failed", 124, {
          code: "RUN_TIMEOUT",
          message: `the run passed its timeout of ${settings.timeoutMs / 1000}s and was stopped`,
        });
      }
    }
    wanted.add(record.run);
    return record;
  });
  for (const e of observed) if (!wanted.has(e.run) && !remove.includes(e)) remove.push(e);

  const retryDue: RunRecord[] = [];
  for (const record of next) {
    if (record.retryAt && Date.parse(record.retryAt) <= now.getTime()) retryDue.push(record);
  }
  return { records: next, remove, ended, retryDue };
}

/** The records a status keeps: the newest RUNS_KEPT, plus any still running (never forgotten). */
export function keptRuns(records: RunRecord[]): RunRecord[] {
  // Records are kept newest first (a new run is put in front), so no sort is needed.
  const kept = records.slice(0, RUNS_KEPT);
  for (const r of records.slice(RUNS_KEPT)) if (r.state === "running") kept.push(r);
  return kept;
}

/** A job's phase from its runs: `running` while one runs, `failed` when the last run failed, else `idle`. */
export function jobPhase(records: RunRecord[]): { phase: Phase; error: StatusError | null } {
  if (records.some((r) => r.state === "running")) return { phase: "running", error: null };
  const last = keptRuns(records).find((r) => r.state !== "skipped");
  if (last?.state === "failed") return { phase: "failed", error: last.error };
  return { phase: "idle", error: null };
}

/**
 * Whether the schedule fired since it was last checked: a fire time in (checkedAt, now]. Missed
 * fire times (no reconcile ran) give one run, not one per missed time. The first look only starts
 * the bookkeeping. Returns the new bookkeeping too.
 */
export function scheduleDue(
  expression: string,
  previous: ScheduleStatus | undefined,
  now: Date,
): { due: boolean; schedule: ScheduleStatus } {
  const schedule = { expression, checkedAt: now.toISOString() };
  if (!previous || previous.expression !== expression) return { due: false, schedule };
  const checkedAt = new Date(previous.checkedAt);
  if (Number.isNaN(checkedAt.getTime()) || checkedAt >= now) return { due: false, schedule: previous };
  return { due: nextCronTime(expression, checkedAt) <= now, schedule };
}

/** A new run id: sortable by start time, unique enough per pipeline, safe in any executor's names. */
export function newRunId(now: Date, random: () => number = Math.random): string {
  const rand = Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, "0");
  return `${now.getTime().toString(36)}-${rand}`;
}
