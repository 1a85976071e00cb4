// The functions' context: one per Lambda container, the same for api, converge, reconcile and
// trigger, reused across warm invocations.
import type { Executor } from "../executors/types";
import type { Log } from "../model";
import { openContext, type ReefContext } from "./open";

let cached: Promise<ReefContext> | undefined;

/**
 * The container's context: opened on first use; opened again when its connection gave up
 * reconnecting (NATS was away too long) or when opening it failed (NATS down: retried on the next
 * call).
 */
export async function functionContext(opts: {
  log?: Log;
  /** Default process.env (a Lambda's). */
  env?: NodeJS.ProcessEnv;
  /** For the functions that run executions (lib/executors' createExecutor); the api has none. */
  executor?: (env: NodeJS.ProcessEnv) => Promise<Executor>;
}): Promise<ReefContext> {
  if (cached && !(await cached.then((c) => c.open).catch(() => false))) cached = undefined;
  cached ??= openContext({ name: "reef-functions", ...opts }).catch((err) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/**
 * Closes the container's context. Only for one-shot runs (`serverless invoke local` sets
 * IS_LOCAL): an open connection would keep that process alive.
 */
export async function closeFunctionContext(): Promise<void> {
  const ctx = await cached?.catch(() => undefined);
  cached = undefined;
  await ctx?.close();
}

/**
 * A middy middleware for the handlers: under `serverless invoke local` (IS_LOCAL) the context is
 * closed after the invocation so the command exits once it printed the result.
 */
export function closeAfterLocalInvoke(env: NodeJS.ProcessEnv = process.env) {
  const close = async () => {
    if (env.IS_LOCAL === "true") await closeFunctionContext();
  };
  return { after: close, onError: close };
}
