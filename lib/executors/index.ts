// lib/executors: picks and builds the executor (CONTRACT.md §4). Each implementation is loaded
// on demand so a bundle only pulls the one it uses (dockerode never reaches the ECS bundle).
import { settingsFrom } from "../config";
import type { ExecutorKind } from "../model";
import type { Executor } from "./types";

export type {
  Executor,
  ReplicaExecutor,
  SetExecutor,
  SetTarget,
  Action,
  Plan,
  Target,
  StartSpec,
} from "./types";
export { describeAction, managesSets } from "./types";
export { runnerEnv, hostProcessEnv, executionLabels, RUNNER_ENV } from "./env";

export async function createExecutor(env: NodeJS.ProcessEnv = process.env): Promise<Executor> {
  const kind = await chooseExecutorKind(env);
  switch (kind) {
    case "process":
      return (await import("./process")).createProcessExecutor(env);
    case "docker":
      return (await import("./docker")).createDockerExecutor(env);
    case "ecs":
      return (await import("./ecs")).createEcsExecutor(env);
    case "host":
      return (await import("./host")).createHostExecutor(env);
  }
}

/** REEF_EXECUTOR; else `ecs` in AWS Lambda; else `docker` when a Docker daemon answers, else `process`. */
export async function chooseExecutorKind(env: NodeJS.ProcessEnv = process.env): Promise<ExecutorKind> {
  const wanted = settingsFrom(env).executor;
  if (wanted) return wanted;
  // In AWS Lambda (not serverless-offline) there is no Docker daemon: executions are ECS services.
  if (env.AWS_LAMBDA_FUNCTION_NAME && !env.IS_OFFLINE) return "ecs";
  const { dockerAnswers } = await import("./docker");
  return (await dockerAnswers(env)) ? "docker" : "process";
}
