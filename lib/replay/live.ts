// Live replay: hand each recorded change to the real `converge` function again: through the Lambda
// Invoke API (serverless-offline's lambda port locally, or a deployed stage), or in this process.
// converge is level-triggered, so a replayed change converges the pipeline to its CURRENT definition.
import { awsRegion, localLambdaEndpoint, settingsFrom } from "../config";
import { InProcessInvoker, LambdaInvoker, functionName, type Invoker } from "../invoke";
import type { ConvergeDeps, ConvergeResult } from "../converge";
import { toStatusError, type StatusError } from "../model";
import type { ReplayItem } from "./select";

export interface LiveTarget {
  /** `lambda`: the Lambda Invoke API; `in-process`: lib/converge here, with executors from this env. */
  kind: "lambda" | "in-process";
  stage: string;
  /** Lambda API endpoint; unset means AWS itself (credentials and region from the usual AWS env). */
  endpoint?: string;
  region: string;
}

/**
 * Where `--live` goes: `--in-process`; else `--stage` without `--endpoint` is a deployed stage in AWS;
 * else the local serverless-offline lambda port (REEF_LAMBDA_ENDPOINT, default 127.0.0.1:3002).
 */
export function liveTargetFrom(
  opts: { stage?: string; endpoint?: string; inProcess?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): LiveTarget {
  const region = awsRegion(env);
  const stage = opts.stage || settingsFrom(env).stage;
  if (opts.inProcess) return { kind: "in-process", stage, region };
  if (opts.stage && !opts.endpoint) return { kind: "lambda", stage, region };
  return {
    kind: "lambda",
    stage,
    region,
    endpoint: opts.endpoint || settingsFrom(env).lambdaEndpoint || localLambdaEndpoint(env),
  };
}

export function describeTarget(t: LiveTarget): string {
  if (t.kind === "in-process") return "converge in this process";
  const name = functionName(t.stage, "converge");
  return t.endpoint ? `${name} at ${t.endpoint}` : `${name} in AWS (${t.region})`;
}

/** The bridge's own invokers: the same client settings, the same FunctionError handling. */
export function createLiveInvoker(
  t: LiveTarget,
  deps: () => Promise<ConvergeDeps>,
  env = process.env,
): Invoker {
  if (t.kind === "in-process") return new InProcessInvoker(deps);
  return new LambdaInvoker(
    {
      stage: t.stage,
      lambdaEndpoint: t.endpoint,
      region: t.region,
      convergeTimeoutMs: 150_000,
      reconcileTimeoutMs: 330_000,
    },
    env,
  );
}

export interface LiveStep {
  seq: number | null;
  pipeline: string;
  event: ReplayItem["event"];
  result: ConvergeResult | null;
  error: StatusError | null;
  durationMs: number;
}

export async function liveStep(invoker: Invoker, item: ReplayItem): Promise<LiveStep> {
  const started = Date.now();
  const base = { seq: item.seq, pipeline: item.pipeline, event: item.event };
  try {
    // A SCALE record converges like a change of the revision in force (converge is level-triggered).
    const { operation } = item.event;
    const result = await invoker.converge({
      ...item.event,
      operation: operation === "SCALE" ? "PUT" : operation,
    });
    return { ...base, result, error: null, durationMs: Date.now() - started };
  } catch (err) {
    return {
      ...base,
      result: null,
      error: toStatusError(err, "EXECUTOR_ERROR"),
      durationMs: Date.now() - started,
    };
  }
}
