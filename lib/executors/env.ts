// The environment an execution's runner gets (CONTRACT.md §3), the same for every executor.
import { natsCredentialEnv } from "../store";
import type { StartSpec } from "./types";

/** Env names the runner reads. */
export const RUNNER_ENV = {
  id: "PIPELINE_ID",
  version: "PIPELINE_VERSION",
  digest: "PIPELINE_DIGEST",
  replica: "PIPELINE_REPLICA",
  stateFile: "REEF_RUNNER_STATE_FILE",
} as const;

/**
 * Settings executions share with the control plane: the engine, where reef's buckets and streams
 * are (the runner reads its config and reports heartbeats and logs there) and how often to report.
 */
const PASSED_ENV = [
  "REEF_ENGINE",
  "REEF_LOG_LEVEL",
  "REEF_PIPELINES_BUCKET",
  "REEF_CONFIGS_BUCKET",
  "REEF_STATUS_BUCKET",
  "REEF_EVENTS_STREAM",
  "REEF_EVENTS_SUBJECT",
  "REEF_LEASES_BUCKET",
  "REEF_HEALTH_BUCKET",
  "REEF_LOGS_STREAM",
  "REEF_LOGS_SUBJECT",
  "REEF_LOGS_MAX_AGE",
  "REEF_LOGS_MAX_BYTES",
  "REEF_LOGS_RATE",
  "REEF_HEARTBEAT_INTERVAL",
];

/**
 * Runner env for one replica: identity, where to find NATS and the config, and which engine.
 * `REEF_RUNNER_NATS_URL` lets executions reach NATS at another address than the control plane.
 * Credentials are passed by name only where the executor mounts them (see each executor).
 */
export function runnerEnv(spec: StartSpec, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {
    [RUNNER_ENV.id]: spec.pipeline,
    [RUNNER_ENV.version]: spec.version,
    [RUNNER_ENV.digest]: spec.digest,
    [RUNNER_ENV.replica]: String(spec.replica),
    NATS_URL: env.REEF_RUNNER_NATS_URL || env.NATS_URL || "nats://127.0.0.1:4222",
    ...natsCredentialEnv(env),
  };
  for (const key of PASSED_ENV) {
    const value = env[key];
    if (value) out[key] = value;
  }
  return out;
}

/** Labels of an execution (Docker labels, ECS tags, process records). */
export function executionLabels(spec: StartSpec): Record<string, string> {
  return {
    "reef.pipeline": spec.pipeline,
    "reef.version": spec.version,
    "reef.digest": spec.digest,
    "reef.replica": String(spec.replica),
  };
}
