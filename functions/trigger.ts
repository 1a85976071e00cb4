// `trigger`: starts one run of a job pipeline (CONTRACT.md §8). Invoked by the bridge for a message
// on the job's trigger subject, and by `reef trigger` for a manual run.
import { closeAfterLocalInvoke } from "../lib/context";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import { functionDeps, triggerJob, type TriggerAnswer } from "../lib/converge";
import { parseTriggerEvent } from "../lib/model";

const logger = new Logger({ serviceName: "reef" });

export async function triggerHandler(event: unknown): Promise<TriggerAnswer> {
  const request = parseTriggerEvent(event);
  const deps = await functionDeps(logger);
  return triggerJob(deps, request.id, {
    trigger: request.trigger,
    ...(request.payload ? { payload: Buffer.from(request.payload, "base64") } : {}),
    ...(request.replyTo ? { replyTo: request.replyTo } : {}),
  });
}

export const handler = middy(triggerHandler).use(injectLambdaContext(logger)).use(closeAfterLocalInvoke());
