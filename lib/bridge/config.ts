// The bridge's settings, all from the environment (see README.md for the table).
import { BridgeError } from "./errors";

export interface BridgeConfig {
  /** Lambda names are `reef-<stage>-<function>`. */
  stage: string;
  /** Lambda API endpoint (serverless-offline's lambda port locally); unset in AWS. */
  lambdaEndpoint?: string;
  region: string;
  /** `lambda` (default) or `in-process` (calls lib/converge directly: tests, bench). */
  invoker: "lambda" | "in-process";
  /** Invocations in flight across pipelines (one per pipeline at most). */
  concurrency: number;
  /** Durable consumer name on the pipelines KV stream. */
  durable: string;
  /** Consumer ack wait; held messages are kept alive with `working()` well before it expires. */
  ackWaitMs: number;
  maxAckPending: number;
  /** Attempts per change before it is recorded as failed. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Lambda client timeouts: above the functions' own timeouts (120 s / 300 s). */
  convergeTimeoutMs: number;
  reconcileTimeoutMs: number;
  /** Reconcile every … (0: only at start). */
  resyncIntervalMs: number;
  /** On SIGTERM, how long in-flight invocations may finish. */
  drainTimeoutMs: number;
}

export function bridgeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const invoker = env.REEF_BRIDGE_INVOKER || "lambda";
  if (invoker !== "lambda" && invoker !== "in-process") {
    throw new BridgeError(
      "INVALID_CONFIG",
      `REEF_BRIDGE_INVOKER must be lambda or in-process (got ${invoker})`,
    );
  }
  return {
    stage: env.REEF_STAGE || "dev",
    lambdaEndpoint: env.REEF_LAMBDA_ENDPOINT || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    invoker,
    concurrency: positiveInt(env, "REEF_BRIDGE_CONCURRENCY", 8),
    durable: env.REEF_BRIDGE_DURABLE || "reef-bridge",
    ackWaitMs: duration(env, "REEF_BRIDGE_ACK_WAIT", 30_000),
    maxAckPending: positiveInt(env, "REEF_BRIDGE_MAX_ACK_PENDING", 20_000),
    maxAttempts: positiveInt(env, "REEF_BRIDGE_MAX_ATTEMPTS", 5),
    retryBaseMs: duration(env, "REEF_BRIDGE_RETRY_BASE", 250),
    retryMaxMs: duration(env, "REEF_BRIDGE_RETRY_MAX", 10_000),
    convergeTimeoutMs: duration(env, "REEF_BRIDGE_CONVERGE_TIMEOUT", 150_000),
    reconcileTimeoutMs: duration(env, "REEF_BRIDGE_RECONCILE_TIMEOUT", 330_000),
    resyncIntervalMs: duration(env, "REEF_RESYNC_INTERVAL", 60_000),
    drainTimeoutMs: duration(env, "REEF_BRIDGE_DRAIN_TIMEOUT", 30_000),
  };
}

/** `90` (seconds), `90s`, `500ms`, `2m`. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m)
    throw new BridgeError(
      "INVALID_CONFIG",
      `not a duration: ${JSON.stringify(text)} (use e.g. 60, 60s, 500ms, 2m)`,
    );
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return Math.round(n * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[unit]!);
}

function duration(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const v = env[name];
  if (!v) return fallbackMs;
  try {
    return parseDuration(v);
  } catch {
    throw new BridgeError(
      "INVALID_CONFIG",
      `${name}: not a duration: ${JSON.stringify(v)} (use e.g. 60, 60s, 500ms, 2m)`,
    );
  }
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  if (!v) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new BridgeError("INVALID_CONFIG", `${name} must be a positive integer (got ${v})`);
  return n;
}
