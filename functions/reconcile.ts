// `reconcile`: runs on a schedule (cloud) and on demand (the bridge at start and every
// REEF_RESYNC_INTERVAL locally). Converges every defined pipeline and removes orphaned executions;
// safe to run concurrently with converges (each pipeline is converged under its lease).
import { closeAfterLocalInvoke } from "../lib/context";
import { settings } from "../lib/config";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { abortBeforeTimeout, functionDeps, reconcile, type ReconcileResult } from "../lib/converge";

const logger = new Logger({ serviceName: "reef" });

/** The event is ignored (a schedule event, or `{}` from the bridge): reconcile looks at everything. */
export async function reconcileHandler(
  _event?: unknown,
  context?: Partial<Context>,
): Promise<ReconcileResult> {
  const deps = await functionDeps(logger);
  const concurrency = settings().reconcileConcurrency;
  const result = await reconcile(deps, concurrency, { signal: abortBeforeTimeout(context) });
  logger.info("reconciled", {
    pipelines: result.results.length,
    orphans: result.orphans,
    failures: result.failures,
  });
  return result;
}

export const handler = middy(reconcileHandler).use(injectLambdaContext(logger)).use(closeAfterLocalInvoke());
