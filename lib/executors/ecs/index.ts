// lib/executors/ecs: executions as ECS services on Fargate (CONTRACT.md §3, infra/aws/README.md).
// The public surface; tests reach the executor's parts through ./internal.
import { ECSClient } from "@aws-sdk/client-ecs";
import type { Executor } from "../types";
import { ecsConfigFromEnv, type EcsConfig } from "./config";
import { EcsExecutor, type EcsExecutorOptions } from "./executor";

export { EcsExecutor } from "./executor";
export type { EcsExecutorOptions } from "./executor";
export { ecsConfigFromEnv } from "./config";
export type { EcsConfig } from "./config";
export type { RetryOptions } from "./retry";

/** The ECS executor configured from the environment (REEF_ECS_*, REEF_RUNNER_IMAGE, AWS_REGION…). */
export function createEcsExecutor(env: NodeJS.ProcessEnv = process.env): Executor {
  const config = ecsConfigFromEnv(env);
  // Retries are ours (bounded, with backoff), so the SDK makes one attempt per call.
  const client = new ECSClient({ ...(config.region ? { region: config.region } : {}), maxAttempts: 1 });
  return new EcsExecutor({ client, config, env });
}

/** The same on a given client (tests pass a mocked one). */
export function createEcsExecutorWithClient(
  client: ECSClient,
  config: EcsConfig,
  opts: Omit<EcsExecutorOptions, "client" | "config"> = {},
): EcsExecutor {
  return new EcsExecutor({ client, config, ...opts });
}
