// Observed status from what the definition asked for and what the executor now reports. Pure.
import type { Execution, Health, Phase, PipelineStatus, ReplicasDecision, StatusError } from "../model";
import type { Desired } from "./plan";

export interface StatusInput {
  id: string;
  desired: Desired;
  /** The definition's `status` field when it could be read, else null. */
  desiredStatus: string | null;
  version: string | null;
  revision: number;
  executor: string;
  executions: Execution[];
  /** An error met while carrying out the plan. */
  applyError?: StatusError;
  /** Folded from the executions' heartbeats (lib/telemetry). */
  health?: Health;
  /** With `autoscale`: the scaler's decision (`current` is counted here). */
  replicas?: ReplicasDecision;
  now?: Date;
}

export function phaseOf(
  desired: Desired,
  executions: Execution[],
): { phase: Phase; error: StatusError | null } {
  switch (desired.kind) {
    case "invalid":
      return { phase: "failed", error: desired.error };
    case "draft":
    case "deleted":
      return { phase: executions.length === 0 ? "absent" : "pending", error: null };
    case "paused":
      return {
        phase: executions.some((e) => e.state === "running" || e.state === "pending") ? "pending" : "stopped",
        error: null,
      };
    case "published": {
      const current = executions.filter((e) => e.version === desired.version && e.digest === desired.digest);
      const failed = current.find((e) => e.state === "failed");
      if (failed) {
        return {
          phase: "failed",
          error: failed.error ?? { code: "ENGINE_FAILED", message: `execution ${failed.id} failed` },
        };
      }
      const running = current.filter((e) => e.state === "running").length;
      const done = running === desired.replicas && executions.length === desired.replicas;
      return { phase: done ? "running" : "pending", error: null };
    }
  }
}

export function buildStatus(input: StatusInput): PipelineStatus {
  const { phase, error } = input.applyError
    ? { phase: "failed" as const, error: input.applyError }
    : phaseOf(input.desired, input.executions);
  return {
    id: input.id,
    phase,
    desired: input.desiredStatus,
    version: input.version,
    revision: input.revision,
    executor: input.executor,
    executions: input.executions
      .slice()
      .sort((a, b) => a.replica - b.replica || a.id.localeCompare(b.id))
      .map((e) => ({
        id: e.id,
        state: e.state,
        version: e.version,
        replica: e.replica,
        ...(e.startedAt ? { startedAt: e.startedAt } : {}),
        ...(e.error ? { error: e.error } : {}),
      })),
    error,
    ...(input.health ? { health: input.health } : {}),
    ...(input.replicas ? { replicas: { ...input.replicas, current: runningOf(input) } } : {}),
    updatedAt: (input.now ?? new Date()).toISOString(),
  };
}

/** Running executions of the version the definition asks for. */
function runningOf(input: StatusInput): number {
  const version = input.desired.kind === "published" ? input.desired.version : input.version;
  return input.executions.filter((e) => e.state === "running" && e.version === version).length;
}
