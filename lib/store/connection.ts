// NATS connection from the environment (CONTRACT.md §4).
import { readFileSync } from "node:fs";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import type { ConnectionOptions, NatsConnection } from "@nats-io/transport-node";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

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

/** Connection options from NATS_URL, NATS_CREDS, NATS_TOKEN, NATS_USER/NATS_PASSWORD. */
export function natsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const servers = (env.NATS_URL || DEFAULT_NATS_URL)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const opts: ConnectionOptions = { servers };
  if (env.NATS_CREDS) {
    opts.authenticator = credsAuthenticator(readFileSync(env.NATS_CREDS));
  } else if (env.NATS_TOKEN) {
    opts.token = env.NATS_TOKEN;
  } else if (env.NATS_USER) {
    opts.user = env.NATS_USER;
    opts.pass = env.NATS_PASSWORD ?? "";
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
