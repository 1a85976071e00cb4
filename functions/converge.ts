// `converge`: invoked by the bridge with one change event; converges that pipeline to its
// CURRENT definition (the event only says which pipeline to look at).
import { closeAfterLocalInvoke } from "../lib/context";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { abortBeforeTimeout, converge, functionDeps, type ConvergeResult } from "../lib/converge";
import { parseChangeEvent } from "../lib/model";

const logger = new Logger({ serviceName: "reef" }); // level: POWERTOOLS_LOG_LEVEL;

export async function convergeHandler(event: unknown, context?: Partial<Context>): Promise<ConvergeResult> {
  const change = parseChangeEvent(event);
  const deps = await functionDeps(logger);
  return converge(deps, change.key, { signal: abortBeforeTimeout(context) });
}

export const handler = middy(convergeHandler).use(injectLambdaContext(logger)).use(closeAfterLocalInvoke());
