// The Docker executor's settings, from the environment. Every knob has a safe default for the
// local stack; see README.md in this folder.
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
  const creds = env.NATS_CREDS?.trim();
  return {
    image: env.REEF_RUNNER_IMAGE?.trim() || DEFAULT_RUNNER_IMAGE,
    memory: parseMemory(env.REEF_DOCKER_MEMORY),
    nanoCpus: parseCpus(env.REEF_DOCKER_CPUS),
    network: env.REEF_DOCKER_NETWORK?.trim() || "host",
    stopTimeout: parseSeconds(env.REEF_STOP_TIMEOUT, 10),
    user: env.REEF_DOCKER_USER?.trim() || RUNNER_USER,
    ...(creds ? { credsFile: resolve(creds) } : {}),
    secretsDir: resolve(env.REEF_STATE_DIR || ".reef/state", "docker-secrets"),
    binds: (env.REEF_DOCKER_BINDS ?? "")
      .split(",")
      .map((b) => b.trim())
      .filter(Boolean),
    ...(env.REEF_DOCKER_SCOPE?.trim() ? { scope: env.REEF_DOCKER_SCOPE.trim() } : {}),
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

function parseSeconds(value: string | undefined, fallback: number): number {
  const v = value?.trim();
  if (!v) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new ExecutorError(
      `REEF_STOP_TIMEOUT must be a whole number of seconds (got ${JSON.stringify(value)})`,
    );
  }
  return n;
}
