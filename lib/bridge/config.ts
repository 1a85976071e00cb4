// The bridge's settings, all from the environment (see README.md for the table).
import { awsRegion, settingsFrom } from "../config";

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

/** The bridge's settings (lib/config parses them; a bad value is an InvalidSettingError). */
export function bridgeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const s = settingsFrom(env);
  return {
    stage: s.stage,
    lambdaEndpoint: s.lambdaEndpoint,
    region: awsRegion(env),
    invoker: s.bridgeInvoker,
    concurrency: s.bridgeConcurrency,
    durable: s.bridgeDurable,
    ackWaitMs: s.bridgeAckWait,
    maxAckPending: s.bridgeMaxAckPending,
    maxAttempts: s.bridgeMaxAttempts,
    retryBaseMs: s.bridgeRetryBase,
    retryMaxMs: s.bridgeRetryMax,
    convergeTimeoutMs: s.bridgeConvergeTimeout,
    reconcileTimeoutMs: s.bridgeReconcileTimeout,
    resyncIntervalMs: s.resyncInterval,
    drainTimeoutMs: s.bridgeDrainTimeout,
  };
}
