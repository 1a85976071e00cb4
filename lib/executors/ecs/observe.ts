// What a pipeline's ECS service looks like as reef executions (pure). One service stands for
// `desiredCount` virtual executions (replicas 0..n-1) so the planner sees the same shapes as with
// the process and docker executors.
import type { Deployment, Service, Task } from "@aws-sdk/client-ecs";
import { LABELS, type Execution, type StatusError } from "../../model";
import { fromTagList } from "./names";
import { stopError } from "./runs";

/** The version and digest a task-definition revision runs (from its tags). */
export interface TaskDefinitionIdentity {
  pipeline?: string;
  version: string;
  digest: string;
  spec?: string;
  cluster?: string;
}

export type IdentityOf = (taskDefinitionArn: string | undefined) => TaskDefinitionIdentity | undefined;

/** The reef pipeline a service belongs to, from its `reef.pipeline` tag; undefined for foreign services. */
export function servicePipeline(service: Service): string | undefined {
  return fromTagList(service.tags)[LABELS.pipeline] || undefined;
}

// Events that explain why tasks do not run (placement, image pull, secrets, essential container exits).
const PROBLEM = /unable to|error|fail|cannot|not authorized|insufficient|exceeded/i;

/** The deployment that runs (or will run) the service's task definition now. */
export function primaryDeployment(service: Service): Deployment {
  return (
    (service.deployments ?? []).find((d) => d.status === "PRIMARY") ?? {
      taskDefinition: service.taskDefinition,
      desiredCount: service.desiredCount,
      runningCount: service.runningCount,
      pendingCount: service.pendingCount,
    }
  );
}

/** Whether replicas of the service are missing with no reason given by the service itself. */
export function needsTaskProbe(service: Service): boolean {
  if (service.status !== "ACTIVE" || !service.desiredCount) return false;
  const primary = primaryDeployment(service);
  return (primary.runningCount ?? 0) < service.desiredCount && !failureOf(service, primary);
}

/**
 * @param stopped why the deployment's newest task stopped, when it failed (see stoppedTaskFailure):
 *   the reason for replicas that are not running when the service itself says nothing.
 */
export function serviceExecutions(
  service: Service,
  identityOf: IdentityOf,
  stopped?: StatusError,
): Execution[] {
  const pipeline = servicePipeline(service);
  const arn = service.serviceArn;
  if (!pipeline || !arn || service.status === "INACTIVE") return [];
  const tags = fromTagList(service.tags);
  const fallback: TaskDefinitionIdentity = {
    version: tags[LABELS.version] ?? "",
    digest: tags[LABELS.digest] ?? "",
  };
  const who = (td: string | undefined) => {
    const id = identityOf(td) ?? fallback;
    return { pipeline, version: id.version, digest: id.digest };
  };
  const deployments = service.deployments ?? [];
  const alive = (d: { runningCount?: number; pendingCount?: number }) =>
    (d.runningCount ?? 0) + (d.pendingCount ?? 0);

  // Being deleted: whatever still runs is on its way out.
  if (service.status === "DRAINING") {
    const n = alive(service);
    return Array.from({ length: n }, (_, replica) => ({
      id: `${arn}#${replica}`,
      ...who(service.taskDefinition),
      replica,
      state: "pending" as const,
    }));
  }

  const primary = primaryDeployment(service);
  const desired = service.desiredCount ?? 0;
  const out: Execution[] = [];

  if (desired === 0) {
    // Paused: one stopped execution once every task is gone; until then the stopping ones are pending.
    const n = deployments.length ? deployments.reduce((s, d) => s + alive(d), 0) : alive(service);
    if (n === 0) return [{ id: `${arn}#0`, ...who(primary.taskDefinition), replica: 0, state: "stopped" }];
    for (let replica = 0; replica < n; replica++) {
      out.push({ id: `${arn}#${replica}`, ...who(primary.taskDefinition), replica, state: "pending" });
    }
    return out;
  }

  const running = Math.min(primary.runningCount ?? 0, desired);
  const failure = running < desired ? (failureOf(service, primary) ?? stopped) : undefined;
  for (let replica = 0; replica < desired; replica++) {
    const base = { id: `${arn}#${replica}`, ...who(primary.taskDefinition), replica };
    if (replica < running) out.push({ ...base, state: "running" });
    else if (failure) out.push({ ...base, state: "failed", error: failure });
    else out.push({ ...base, state: "pending" });
  }
  // Tasks of earlier deployments still running during a rollout: other versions, to be replaced.
  for (const d of deployments) {
    if (d === primary || d.status === "INACTIVE") continue;
    const n = alive(d);
    for (let replica = 0; replica < n; replica++) {
      out.push({
        id: `${arn}#${replica}@${d.id ?? "old"}`,
        ...who(d.taskDefinition),
        replica,
        state: replica < (d.runningCount ?? 0) ? "running" : "pending",
      });
    }
  }
  return out;
}

/** Why the primary deployment's tasks do not run, if ECS says so; undefined while simply starting. */
export function failureOf(service: Service, primary: Deployment): StatusError | undefined {
  const since = primary.createdAt?.getTime() ?? 0;
  // Only the newest event counts: an old problem that was followed by progress is not the story now.
  const newest = (service.events ?? [])
    .slice()
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
  const event =
    newest && (newest.createdAt?.getTime() ?? 0) >= since && PROBLEM.test(newest.message ?? "")
      ? newest.message
      : undefined;
  const failedTasks = primary.failedTasks ?? 0;
  let message: string | undefined;
  if (primary.rolloutState === "FAILED") {
    message = `ECS deployment failed: ${primary.rolloutStateReason ?? "circuit breaker tripped"}`;
  } else if (failedTasks > 0) {
    message = `ECS: ${failedTasks} task(s) failed to start or stopped`;
  } else if (event) {
    message = "ECS";
  }
  if (!message) return undefined;
  return { code: "EXECUTOR_ERROR", message: event ? `${message}: ${event}` : message };
}

// A stopped task older than this says nothing about now.
const STOPPED_TASK_RELEVANCE_MS = 10 * 60_000;

/**
 * Why the primary deployment's newest failed task stopped: a runner that started and then exited
 * with an error (a bad config, an engine failure…) or a task that could not start (image,
 * secrets, network). Tasks stopped by the scheduler (scale-in, pause, rollout) do not count.
 */
export function stoppedTaskFailure(
  tasks: Task[],
  primary: Deployment,
  opts: { nowMs: number; container: string; logGroup?: string; logPrefix?: string },
): StatusError | undefined {
  const since = Math.max(primary.createdAt?.getTime() ?? 0, opts.nowMs - STOPPED_TASK_RELEVANCE_MS);
  const failed = tasks
    .filter(
      (t) =>
        t.taskDefinitionArn === primary.taskDefinition &&
        (t.stoppedAt?.getTime() ?? 0) >= since &&
        (t.stopCode === "TaskFailedToStart" ||
          (t.stopCode === "EssentialContainerExited" &&
            (t.containers ?? []).some((c) => c.exitCode !== undefined && c.exitCode !== 0))),
    )
    .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0))[0];
  if (!failed) return undefined;
  const container =
    (failed.containers ?? []).find((c) => c.name === opts.container) ?? failed.containers?.[0];
  return stopError(failed, container, String(container?.name), opts);
}
