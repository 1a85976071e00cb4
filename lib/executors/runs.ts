// Job runs (CONTRACT.md §8): executions that run a config to completion once, and that reef never
// restarts. They carry the label `reef.run` besides the usual ones and are listed apart from a
// stream's replicas, so the stream planner never mistakes one for a replica.
import { ExecutorError, type Execution } from "../model";
import { RUN_ENV } from "./env";
import type { StartSpec } from "./types";

export const RUN_LABEL = "reef.run";

/** The longest payload a run takes as its stdin (it travels in the execution's environment). */
export const MAX_RUN_STDIN_BYTES = 64 * 1024;

export interface RunSpec extends StartSpec {
  /** The run id (unique per pipeline): names the execution. */
  run: string;
  /** The trigger's payload: the engine's stdin. */
  stdin?: Uint8Array;
  /** The runner stops the engine after this long and fails the run with RUN_TIMEOUT. */
  timeoutMs?: number;
}

/** A run's execution; `exitCode` once it ended, where the executor can tell. */
export interface RunExecution extends Execution {
  run: string;
  exitCode?: number;
}

/** What an executor that can run jobs offers besides its replicas. */
export interface RunExecutor {
  /** Starts the run's execution (idempotent: a run already started is not started twice). */
  startRun(spec: RunSpec): Promise<void>;
  /** The runs' executions: one pipeline's, or every pipeline's. */
  listRuns(pipeline?: string): Promise<RunExecution[]>;
  /** Stops the run's execution if it still runs, and removes every trace of it. */
  removeRun(execution: RunExecution): Promise<void>;
  /** The job is drafted or deleted: removes what its runs shared (ECS: its task definitions). */
  removeJob?(pipeline: string): Promise<void>;
}

export function runsSupported(executor: object): executor is RunExecutor {
  const e = executor as Partial<RunExecutor>;
  return (
    typeof e.startRun === "function" && typeof e.listRuns === "function" && typeof e.removeRun === "function"
  );
}

/** The executor as a RunExecutor, or an EXECUTOR_ERROR saying it cannot run jobs. */
export function runExecutorOf(executor: { kind: string }): RunExecutor {
  if (!runsSupported(executor)) {
    throw new ExecutorError(`the ${executor.kind} executor cannot run jobs (mode "job")`);
  }
  return executor;
}

/** The environment entries of a run (lib/runner/job.ts reads them). */
export function runEnvOf(spec: RunSpec): Record<string, string> {
  const stdin = spec.stdin ?? new Uint8Array();
  if (stdin.byteLength > MAX_RUN_STDIN_BYTES) {
    throw new ExecutorError(
      `the trigger's payload is ${stdin.byteLength} bytes; a run takes at most ${MAX_RUN_STDIN_BYTES}`,
    );
  }
  return {
    [RUN_ENV.id]: spec.run,
    ...(stdin.byteLength ? { [RUN_ENV.stdin]: Buffer.from(stdin).toString("base64") } : {}),
    ...(spec.timeoutMs !== undefined ? { [RUN_ENV.timeoutMs]: String(spec.timeoutMs) } : {}),
  };
}
