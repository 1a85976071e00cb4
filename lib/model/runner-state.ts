// What the runner reports about its engine to the executor that started it (CONTRACT.md §3):
// the state file (REEF_RUNNER_STATE_FILE: JSON, rewritten on every change) and, for executors that
// only see logs, a last `reef-runner: fatal {…}` line on stderr. Both sides use these: the runner
// writes with them, the process and docker executors read with them.
import { z } from "zod";
import type { StatusError } from "./errors";

const statusErrorSchema = z.object({ code: z.string(), message: z.string() });
/** When the state was written (ISO 8601): tells a fresh file from one of an earlier start. */
const at = z.string().optional();

export const runnerStateSchema = z.discriminatedUnion("state", [
  /** The config was fetched and checked, and the engine started. */
  z.object({ state: z.literal("running"), engine: z.string(), pid: z.number().int(), at }),
  /** The engine ended by itself with success (a finite input is exhausted). */
  z.object({ state: z.literal("exited"), exitCode: z.literal(0), at }),
  /** The runner or its engine failed; `error` says why (the code reaches the pipeline's status). */
  z.object({ state: z.literal("failed"), exitCode: z.number().int(), error: statusErrorSchema, at }),
]);

export type RunnerState = z.infer<typeof runnerStateSchema>;

/** The state file's text for `state`, stamped with `now`. */
export function encodeRunnerState(state: RunnerState, now: Date = new Date()): string {
  return JSON.stringify({ ...state, at: now.toISOString() });
}

/** The state file's content; null when it is half-written, not JSON or not a runner state. */
export function parseRunnerState(text: string): RunnerState | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = runnerStateSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

const FATAL_PREFIX = "reef-runner: fatal ";

/** The runner's last stderr line when it fails. */
export function formatFatalLine(error: StatusError): string {
  return `${FATAL_PREFIX}${JSON.stringify(error)}`;
}

/** Parses a `reef-runner: fatal {"code","message"}` line (anywhere in `line`); null if it is not one. */
export function parseFatalLine(line: string): StatusError | null {
  const at = line.indexOf(FATAL_PREFIX);
  if (at < 0) return null;
  try {
    const v = JSON.parse(line.slice(at + FATAL_PREFIX.length)) as { code?: unknown; message?: unknown };
    if (typeof v.code === "string") {
      return { code: v.code, message: typeof v.message === "string" ? v.message : v.code };
    }
  } catch {
    // not JSON: fall through
  }
  return null;
}
