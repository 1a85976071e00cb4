// The environment an execution's runner gets (CONTRACT.md §3), the same for every executor: what
// the runner needs, plus the variables REEF_EXECUTION_ENV names. Never the control plane's whole
// environment: its secrets (cloud keys, the API key…) are no business of a pipeline.
import { settingsEnv, settingsFrom, type SettingKey } from "../config";
import { natsCredentialEnv } from "../store";
import type { StartSpec } from "./types";

/** The non-root user runners run as in containers (numeric: needs no /etc/passwd entry in custom images). */
export const RUNNER_USER = "10001:10001";

/** Env names the runner reads. */
export const RUNNER_ENV = {
  id: "PIPELINE_ID",
  version: "PIPELINE_VERSION",
  digest: "PIPELINE_DIGEST",
  replica: "PIPELINE_REPLICA",
  stateFile: "REEF_RUNNER_STATE_FILE",
} as const;

/** Env names the runner reads when its execution is one run of a job (CONTRACT.md §8). */
export const RUN_ENV = {
  id: "REEF_RUN_ID",
  /** The trigger's payload, base64: the engine's stdin. */
  stdin: "REEF_RUN_STDIN",
  timeoutMs: "REEF_RUN_TIMEOUT_MS",
} as const;

/**
 * Settings executions share with the control plane: the engine, where reef's buckets and streams
 * are (the runner reads its config and reports heartbeats and logs there) and how often to report.
 */
const PASSED_SETTINGS: readonly SettingKey[] = [
  "engine",
  "logLevel",
  "pipelinesBucket",
  "configsBucket",
  "statusBucket",
  "eventsStream",
  "eventsSubject",
  "leasesBucket",
  "healthBucket",
  "logsStream",
  "logsSubject",
  "logsMaxAge",
  "logsMaxBytes",
  "logsRate",
  "heartbeatInterval",
  "hostsBucket",
  "placementsBucket",
  "hostReportsBucket",
];

/** What a reef host process reads besides (lib/host): its TTL, memory guard and stop timeout. */
const HOST_SETTINGS: readonly SettingKey[] = ["hostTtl", "hostMaxMemory", "stopTimeout"];

/** What a process on the control plane's own machine needs to run at all (the process executor). */
const HOST_ENV = ["PATH", "HOME", "TMPDIR", "TZ", "LANG", "LC_ALL"];

/**
 * REEF_EXECUTION_ENV: comma-separated names of further control-plane variables every execution
 * gets, e.g. those its configs' `${VAR}`s use.
 */
export function executionEnvNames(env: NodeJS.ProcessEnv = process.env): string[] {
  return settingsFrom(env).executionEnv;
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The host's basics (PATH, HOME, locale, time zone) for executions that run on this machine. */
export function hostEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return pick(env, HOST_ENV);
}

/**
 * Runner env for one replica: the allow-listed variables (REEF_EXECUTION_ENV), then identity,
 * where to find NATS and the config, and which engine (these win over the allow-list).
 * `REEF_RUNNER_NATS_URL` lets executions reach NATS at another address than the control plane.
 * Credentials are passed by name only where the executor mounts them (see each executor).
 */
export function runnerEnv(spec: StartSpec, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    ...executionBaseEnv(env),
    [RUNNER_ENV.id]: spec.pipeline,
    [RUNNER_ENV.version]: spec.version,
    [RUNNER_ENV.digest]: spec.digest,
    [RUNNER_ENV.replica]: String(spec.replica),
  };
}

/**
 * The env of a reef host process (lib/host): what every execution gets (its streams are
 * executions), and the host's own settings.
 */
export function hostProcessEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return { ...hostEnv(env), ...executionBaseEnv(env), ...settingsEnv(env, HOST_SETTINGS) };
}

function executionBaseEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const s = settingsFrom(env);
  return {
    ...pick(env, executionEnvNames(env)),
    NATS_URL: s.runnerNatsUrl ?? s.natsUrl,
    ...natsCredentialEnv(env),
    ...settingsEnv(env, PASSED_SETTINGS),
  };
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
