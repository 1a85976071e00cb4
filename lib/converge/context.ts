// converge's dependencies from a context (lib/context), and the functions' deadline.
import { functionContext, type ReefContext } from "../context";
import { createExecutor } from "../executors";
import type { Log } from "../model";
import type { ConvergeDeps } from "./converge";

/** What converge, reconcile and triggerJob need, from a context. */
export async function convergeDepsOf(ctx: ReefContext): Promise<ConvergeDeps> {
  return {
    store: ctx.store,
    executor: await ctx.executor(),
    log: ctx.log,
    heartbeatIntervalMs: ctx.settings.heartbeatInterval,
  };
}

/** The container's converge dependencies (functionContext). */
export async function functionDeps(log?: Log): Promise<ConvergeDeps> {
  return convergeDepsOf(await functionContext({ log, executor: createExecutor }));
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
