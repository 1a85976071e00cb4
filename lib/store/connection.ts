// NATS connection from the environment (CONTRACT.md §4).
import { natsServers } from "../config";
import { readFileSync } from "node:fs";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import type { ConnectionOptions, NatsConnection } from "@nats-io/transport-node";

export { DEFAULT_NATS_URL } from "../config";

export interface ConnectOptions {
  /** Client name shown by the server (e.g. `reef-bridge`). */
  name?: string;
  /**
   * Long-running clients (bridge, runner, local stack) reconnect forever; a function call fails
   * fast instead so its caller can retry.
   */
  longRunning?: boolean;
  /** With longRunning: fail at once when the first connect fails (default: wait until it answers). */
  failFirstConnect?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * A secret given as `NAME` or as `NAME_FILE` (a file holding it, e.g. mounted read-only into a
 * container so that it is not in the container's env); undefined when neither is set.
 */
function secretFromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  if (env[name]) return env[name];
  const file = env[`${name}_FILE`];
  return file ? readFileSync(file, "utf8").replace(/\r?\n$/, "") : undefined;
}

/**
 * Connection options from NATS_URL, NATS_CREDS, NATS_TOKEN, NATS_USER/NATS_PASSWORD; the token and
 * the password may also come from files (NATS_TOKEN_FILE, NATS_PASSWORD_FILE).
 */
export function natsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const servers = natsServers(env);
  const opts: ConnectionOptions = { servers };
  let token: string | undefined;
  if (env.NATS_CREDS) {
    opts.authenticator = credsAuthenticator(readFileSync(env.NATS_CREDS));
  } else if ((token = secretFromEnv(env, "NATS_TOKEN"))) {
    opts.token = token;
  } else if (env.NATS_USER) {
    opts.user = env.NATS_USER;
    opts.pass = secretFromEnv(env, "NATS_PASSWORD") ?? "";
  }
  return opts;
}

/** The env entries that carry NATS credentials: passed on to executions. */
export function natsCredentialEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ["NATS_CREDS", "NATS_TOKEN", "NATS_USER", "NATS_PASSWORD"]) {
    const value = env[key];
    if (value) out[key] = value;
  }
  return out;
}

export async function connectNats(opts: ConnectOptions = {}): Promise<NatsConnection> {
  const base = natsOptionsFromEnv(opts.env);
  return connect({
    ...base,
    name: opts.name ?? "reef",
    maxReconnectAttempts: opts.longRunning ? -1 : 10,
    waitOnFirstConnect: (opts.longRunning ?? false) && !opts.failFirstConnect,
    timeout: 5_000,
  });
}
