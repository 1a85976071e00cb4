// From a container's inspect data (and, for a failure, its log tail) to reef's Execution.
//
// "Stopped by reef" convention: reef's `stop` first switches the container's restart policy from
// `unless-stopped` to `no`, then stops it; `start`/`resume` switch it back. The policy is kept by
// the daemon (across daemon restarts too), is visible in `docker inspect`, and also keeps the
// daemon from restarting a paused pipeline. So: exited + policy `no` = stopped by reef (paused);
// exited + policy `unless-stopped` = ended by itself (or stopped by someone else).
import type Docker from "dockerode";
import { RUN_LABEL, type RunExecution } from "../runs";
import { LABELS, parseFatalLine, type Execution, type ExecutionState, type StatusError } from "../../model";

export const STOPPED_POLICY = "no";
export const RUNNING_POLICY = "unless-stopped";

/**
 * The error of a container that exited non-zero: the runner's fatal line when it is the last stderr
 * line, else ENGINE_FAILED with the exit code and the last stderr line for context.
 */
export function failureFrom(exitCode: number, stderrTail: string[], oomKilled = false): StatusError {
  const last = [...stderrTail].reverse().find((l) => l.trim() !== "");
  const fatal = last ? parseFatalLine(last) : null;
  if (fatal) return fatal;
  if (oomKilled) {
    return {
      code: "ENGINE_FAILED",
      message: `killed for exceeding its memory limit (exit code ${exitCode})`,
    };
  }
  const context = last ? `: ${last.trim().slice(0, 300)}` : "";
  return { code: "ENGINE_FAILED", message: `exited with code ${exitCode}${context}` };
}

export type ContainerInfo = Docker.ContainerInspectInfo;

/** Whether the container's state means it ended with an error we should explain from its logs. */
export function needsFailureReason(info: ContainerInfo): boolean {
  const s = info.State;
  return (
    (s.Status === "exited" || s.Restarting || s.Status === "dead") && !stoppedByReef(info) && s.ExitCode !== 0
  );
}

export function stoppedByReef(info: ContainerInfo): boolean {
  return info.HostConfig?.RestartPolicy?.Name === STOPPED_POLICY && !info.State.Running;
}

export function stateOf(info: ContainerInfo): ExecutionState {
  const s = info.State;
  if (s.Restarting) return s.ExitCode === 0 ? "pending" : "failed";
  switch (s.Status) {
    case "running":
      return "running";
    case "paused":
      // Frozen by someone with `docker pause`: not serving; resume unpauses it.
      return "stopped";
    case "created":
      return "pending";
    case "exited":
      if (stoppedByReef(info)) return "stopped";
      return s.ExitCode === 0 ? "exited" : "failed";
    case "dead":
      return "failed";
    default:
      // "removing": on its way out; the next converge no longer sees it.
      return "pending";
  }
}

/** What every execution of a labelled container says, whatever its state. */
function identityOf(info: ContainerInfo) {
  const labels = info.Config?.Labels ?? {};
  const replica = Number(labels[LABELS.replica]);
  return {
    id: info.Id,
    pipeline: labels[LABELS.pipeline] ?? "",
    version: labels[LABELS.version] ?? "",
    digest: labels[LABELS.digest] ?? "",
    // A malformed replica label never matches a wanted slot, so the planner removes it.
    replica: Number.isInteger(replica) && replica >= 0 ? replica : Number.MAX_SAFE_INTEGER,
    ...(info.State.StartedAt && !info.State.StartedAt.startsWith("0001")
      ? { startedAt: info.State.StartedAt }
      : {}),
  };
}

/** The Execution for a labelled container. `error` is filled by the caller for failed ones. */
export function executionOf(info: ContainerInfo, error?: StatusError): Execution {
  const state = stateOf(info);
  return {
    ...identityOf(info),
    state,
    ...(state === "failed" ? { error: error ?? engineFailed(info) } : {}),
  };
}

/** Whether a job run's container ended with an error (its reason is read from its logs). */
export function runFailed(info: ContainerInfo): boolean {
  const st = info.State;
  return st.Status === "dead" || (st.Status === "exited" && st.ExitCode !== 0);
}

/**
 * The execution of a job run's container (restart policy `no`: it runs once, CONTRACT.md §8).
 * Exited 0 is a success; non-zero (or dead) a failure with the container's exit code and `error`.
 */
export function runExecutionOf(info: ContainerInfo, error?: StatusError): RunExecution {
  const st = info.State;
  const failed = runFailed(info);
  const state: ExecutionState = failed
    ? "failed"
    : st.Status === "exited"
      ? "exited"
      : st.Running
        ? "running"
        : "pending";
  return {
    ...identityOf(info),
    state,
    run: info.Config?.Labels?.[RUN_LABEL] ?? "",
    ...(state === "exited" ? { exitCode: 0 } : {}),
    ...(failed
      ? {
          exitCode: st.ExitCode || 1,
          error: error ?? engineFailed(info),
        }
      : {}),
  };
}

/** A failed container's error when its logs name none: how it ended. */
function engineFailed(info: ContainerInfo): StatusError {
  const how = info.State.Status === "dead" ? "is dead" : `exited with code ${info.State.ExitCode}`;
  return { code: "ENGINE_FAILED", message: `container ${info.Name} ${how}` };
}
