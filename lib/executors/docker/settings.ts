// The Docker executor's settings, from the environment. Every knob has a safe default for the
// local stack; see README.md in this folder.
import { DEFAULT_STATE_DIR, settingsFrom } from "../../config";
import { resolve } from "node:path";
import { ExecutorError } from "../../model";
import { RUNNER_USER } from "../env";

export const DEFAULT_RUNNER_IMAGE = "reef-runner:local";
/** Where a NATS credentials file is mounted read-only inside the container. */
export const CREDS_MOUNT = "/run/reef/nats.creds";

export interface DockerSettings {
  image: string;
  /** Bytes; 0 = no limit. */
  memory: number;
  /** CPUs as nano-CPUs; 0 = no limit. */
  nanoCpus: number;
  network: string;
  /** Seconds between SIGTERM and SIGKILL when stopping. */
  stopTimeout: number;
  user: string;
  /** Host path of the NATS credentials file to mount, if any. */
  credsFile?: string;
  /** Host folder of the NATS token/password files mounted into containers (see secrets.ts). */
  secretsDir: string;
  /** Extra bind mounts `host:container[:ro]` (e.g. an engine binary, a fixture). */
  binds: string[];
  /**
   * Isolation label `reef.scope`: an executor only sees (and so only ever removes) containers of
   * its own scope; the default scope is "no label". Lets tests or two stacks share one daemon.
   */
  scope?: string;
}

export function dockerSettings(env: NodeJS.ProcessEnv = process.env): DockerSettings {
  const s = settingsFrom(env);
  return {
    image: s.runnerImage ?? DEFAULT_RUNNER_IMAGE,
    memory: parseMemory(s.dockerMemory),
    nanoCpus: parseCpus(s.dockerCpus),
    network: s.dockerNetwork,
    // docker takes whole seconds
    stopTimeout: Math.ceil(s.stopTimeout / 1000),
    user: s.dockerUser ?? RUNNER_USER,
    ...(s.natsCreds ? { credsFile: resolve(s.natsCreds) } : {}),
    secretsDir: resolve(s.stateDir ?? DEFAULT_STATE_DIR, "docker-secrets"),
    binds: s.dockerBinds,
    ...(s.dockerScope ? { scope: s.dockerScope } : {}),
  };
}

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `512m`, `1g`, `1.5g`, `268435456` → bytes. Empty → 0 (no limit). */
export function parseMemory(value: string | undefined): number {
  const v = value?.trim().toLowerCase();
  if (!v) return 0;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)(?:i?b)?$/.exec(v);
  if (!m)
    throw new ExecutorError(`REEF_DOCKER_MEMORY must look like 512m or 1g (got ${JSON.stringify(value)})`);
  return Math.floor(Number(m[1]) * UNITS[m[2]]);
}

/** `0.5`, `2` → nano-CPUs. Empty → 0 (no limit). */
export function parseCpus(value: string | undefined): number {
  const v = value?.trim();
  if (!v) return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    throw new ExecutorError(`REEF_DOCKER_CPUS must be a positive number (got ${JSON.stringify(value)})`);
  }
  return Math.round(n * 1e9);
}
