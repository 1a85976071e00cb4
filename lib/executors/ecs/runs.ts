// Job runs on ECS (CONTRACT.md §8): one Fargate task per run, started with RunTask (no service) from
// the pipeline version's task definition (the same revision scheme as services), with the run's
// environment as a container override. A task is never restarted; its end is observed with
// DescribeTasks (the runner's exit code, ECS's stop reason). Pure parts here; calls in executor.ts.
import type { Task } from "@aws-sdk/client-ecs";
import { LABELS, type ExecutionState, type StatusError } from "../../model";
import { RUN_LABEL, type RunExecution } from "../runs";
import { fromTagList } from "./names";

/** `startedBy` of every run task: tells runs from a service's tasks (36 characters at most). */
export const RUN_STARTED_BY = "reef-run";

/** Tag put on a run's task once reef removed it: ECS lists stopped tasks for about an hour more. */
export const RUN_REMOVED_TAG = "reef.removed";

/** RunTask accepts at most this many characters of overrides (the run's stdin travels there). */
export const MAX_OVERRIDE_CHARS = 8192;

const STOPPING = new Set(["DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]);

/** A task's id, the last part of its ARN. */
export function taskIdOf(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

/**
 * The execution of a run's task, or undefined when the task is no run of reef's (or reef removed
 * it already). A stopped task succeeded when the runner exited 0; otherwise it failed with the
 * runner's exit code (1 when it never ran) and ECS's reasons.
 */
export function runExecutionOfTask(
  task: Task,
  opts: { container: string; logGroup?: string; logPrefix?: string },
): RunExecution | undefined {
  const tags = fromTagList(task.tags);
  const pipeline = tags[LABELS.pipeline];
  const run = tags[RUN_LABEL];
  if (task.startedBy !== RUN_STARTED_BY || !pipeline || !run || tags[RUN_REMOVED_TAG] === "true") {
    return undefined;
  }
  const container = (task.containers ?? []).find((c) => c.name === opts.container) ?? task.containers?.[0];
  const exitCode = container?.exitCode;
  const stopped =
    task.lastStatus === "STOPPED" || (STOPPING.has(task.lastStatus ?? "") && exitCode !== undefined);
  let state: ExecutionState = task.lastStatus === "RUNNING" ? "running" : "pending";
  let error: StatusError | undefined;
  if (stopped) {
    if (exitCode === 0) state = "exited";
    else {
      state = "failed";
      error = stopError(task, container, "the runner", opts);
    }
  }
  const startedAt = task.startedAt ?? task.createdAt;
  return {
    id: task.taskArn ?? "",
    pipeline,
    version: tags[LABELS.version] ?? "",
    digest: tags[LABELS.digest] ?? "",
    replica: 0,
    run,
    state,
    ...(startedAt ? { startedAt: startedAt.toISOString() } : {}),
    ...(state === "exited" ? { exitCode: 0 } : {}),
    ...(state === "failed" ? { exitCode: exitCode || 1, error } : {}),
  };
}

/**
 * Why a task stopped, as a status error: ECS's stop reason, the exit code of `container` (named
 * `subject` in the message) and where its log is. ENGINE_FAILED when the container exited non-zero.
 */
export function stopError(
  task: Task,
  container: { name?: string; exitCode?: number; reason?: string } | undefined,
  subject: string,
  opts: { logGroup?: string; logPrefix?: string },
): StatusError {
  const taskId = taskIdOf(task.taskArn ?? "");
  const parts = [`ECS task ${taskId} stopped: ${task.stoppedReason ?? task.stopCode ?? "unknown reason"}`];
  if (container?.exitCode !== undefined) parts.push(`${subject} exited with code ${container.exitCode}`);
  if (container?.reason) parts.push(container.reason);
  if (opts.logGroup && container?.name) {
    parts.push(`its log: ${opts.logGroup} ${opts.logPrefix}/${container.name}/${taskId}`);
  }
  return {
    code: container?.exitCode ? "ENGINE_FAILED" : "EXECUTOR_ERROR",
    message: parts.join("; "),
  };
}
