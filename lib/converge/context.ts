// The dependencies of converge/reconcile built from the environment, once per process: a Lambda
// container reuses them across warm invocations.
import { createExecutor } from "../executors";
import { connectNats, heartbeatIntervalFromEnv, Store } from "../store";
import type { Log } from "../model";
import type { ConvergeDeps } from "./converge";

let cached: Promise<ConvergeDeps> | undefined;

export async function convergeDepsFromEnv(
  log?: Log,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ConvergeDeps> {
  // A connection that gave up reconnecting (NATS was away too long) is not reused: connect again.
  if ((await cached?.catch(() => undefined))?.store.isClosed()) cached = undefined;
  cached ??= (async () => {
    const nc = await connectNats({ name: "reef-functions", env });
    const store = await Store.open(nc);
    const executor = await createExecutor(env);
    return { store, executor, log, heartbeatIntervalMs: heartbeatIntervalFromEnv(env) };
  })().catch((err) => {
    cached = undefined; // a failed start (NATS down) is retried on the next call
    throw err;
  });
  return cached;
}

/**
 * Closes the cached NATS connection. Only for one-shot runs (`serverless invoke local` sets
 * IS_LOCAL) and the bridge's in-process invoker when it stops: an open connection would keep
 * that process alive.
 */
export async function closeConvergeDeps(): Promise<void> {
  const deps = await cached?.catch(() => undefined);
  cached = undefined;
  await deps?.executor.close?.();
  await deps?.store.close();
}

/**
 * A middy middleware for the handlers: under `serverless invoke local` (IS_LOCAL) the connection
 * is closed after the invocation so the command exits once it printed the result.
 */
export function closeAfterLocalInvoke(env: NodeJS.ProcessEnv = process.env) {
  const close = async () => {
    if (env.IS_LOCAL === "true") await closeConvergeDeps();
  };
  return { after: close, onError: close };
}

/** How long before a Lambda invocation's deadline converge stops starting steps. */
const DEADLINE_MARGIN_MS = 10_000;

/**
 * A signal that aborts shortly before the invocation's deadline (Lambda's remaining time), so a
 * converge stops starting steps and fails cleanly instead of being killed mid-way; none outside Lambda.
 */
export function abortBeforeTimeout(context?: {
  getRemainingTimeInMillis?: () => number;
}): AbortSignal | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  if (!remaining || remaining <= 0) return undefined;
  return AbortSignal.timeout(Math.max(1_000, remaining - DEADLINE_MARGIN_MS));
}
