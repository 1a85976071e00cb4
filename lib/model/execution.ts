// An execution: one running (or stopped) instance of a pipeline config, as an executor sees it.
import type { StatusError } from "./errors";

/**
 * `running`: alive. `pending`: created/starting. `stopped`: stopped on purpose (paused), kept.
 * `exited`: ended by itself with success. `failed`: ended by itself with an error.
 */
export type ExecutionState = "pending" | "running" | "stopped" | "exited" | "failed";

export interface Execution {
  /** Executor-specific id (record name, container id, ECS service ARN…). */
  id: string;
  pipeline: string;
  version: string;
  /** sha256 (hex) of the config this execution runs. */
  digest: string;
  replica: number;
  state: ExecutionState;
  /** When it was last started, where the executor knows (health allows a new execution time to report). */
  startedAt?: string;
  /** Why a failed execution failed, when the executor could tell. */
  error?: StatusError;
}

/** The labels every execution carries (Docker labels, ECS tags, process records). */
export const LABELS = {
  pipeline: "reef.pipeline",
  version: "reef.version",
  digest: "reef.digest",
  replica: "reef.replica",
} as const;
