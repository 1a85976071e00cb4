// A job run (CONTRACT.md §8) as the runner sees it: the run's payload is the engine's stdin, the
// run must end within its timeout, and it succeeds only when no message ended in error.
import { settingsFrom } from "../config";
import { Readable } from "node:stream";
import { ReefError } from "../model";

export interface RunOptions {
  id: string;
  /** The trigger's payload (empty for schedules and manual triggers without one). */
  stdin: Buffer;
  timeoutMs?: number;
}

/** The run described by the environment; undefined for a stream execution. */
export function runOfEnv(env: NodeJS.ProcessEnv): RunOptions | undefined {
  const s = settingsFrom(env);
  if (!s.runId) return undefined;
  const timeout = s.runTimeoutMs;
  return {
    id: s.runId,
    stdin: Buffer.from(s.runStdin ?? "", "base64"),
    ...(timeout !== undefined && timeout > 0 ? { timeoutMs: timeout } : {}),
  };
}

export function stdinOf(run: RunOptions): Readable {
  return Readable.from(run.stdin.length ? [run.stdin] : []);
}

export class RunTimeoutError extends ReefError<"RUN_TIMEOUT"> {
  override name = "RunTimeoutError";
  constructor(timeoutMs: number) {
    super("RUN_TIMEOUT", `the run passed its timeout of ${timeoutMs / 1000}s and was stopped`);
  }
}

export class RunFailedError extends ReefError<"RUN_FAILED"> {
  override name = "RunFailedError";
  constructor(errors: number, last: string | undefined) {
    super(
      "RUN_FAILED",
      `${errors} message${errors === 1 ? "" : "s"} ended in error${last ? `; last: ${last}` : ""}`,
    );
  }
}

/**
 * Calls `stop` once the run's timeout passes; `check()` then throws RunTimeoutError. `clear()` when
 * the engine ended.
 */
export function runTimer(run: RunOptions | undefined, stop: () => void) {
  let passed = false;
  const timer =
    run?.timeoutMs !== undefined
      ? setTimeout(() => {
          passed = true;
          stop();
        }, run.timeoutMs)
      : undefined;
  return {
    clear: () => clearTimeout(timer),
    check: () => {
      if (passed && run?.timeoutMs !== undefined) throw new RunTimeoutError(run.timeoutMs);
    },
  };
}
