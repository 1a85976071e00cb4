// How reef calls its functions (the bridge, `reef reconcile`, live replay): through the Lambda
// Invoke API (AWS, or serverless-offline's lambda port locally), or in this process (lib/converge
// directly: tests, benchmarks, `--in-process`).
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { converge, convergeDepsOf, reconcile, triggerJob } from "../converge";
import { openContext, type ReefContext } from "../context";
import { createExecutor } from "../executors";
import type { ConvergeDeps, ConvergeResult, ReconcileResult, TriggerAnswer } from "../converge";
import { PERMANENT_ERROR_NAMES, type ChangeEvent, type TriggerEvent } from "../model";
import { FunctionRejectedError, InvokeError } from "./errors";

export interface InvokeOptions {
  /** Aborted: the call is given up (in process: no further step starts) and its promise rejects. */
  signal?: AbortSignal;
}

export interface Invoker {
  readonly kind: "lambda" | "in-process";
  /**
   * Converges the event's pipeline; throws a coded error when the call or the function failed
   * (a PermanentError when retrying cannot help). A result with `requeueAfterMs` asks for another
   * converge of the pipeline after that long.
   */
  converge(event: ChangeEvent, opts?: InvokeOptions): Promise<ConvergeResult>;
  reconcile(opts?: InvokeOptions): Promise<ReconcileResult>;
  /** Starts one run of a job (the `trigger` function). */
  trigger?(event: TriggerEvent, opts?: InvokeOptions): Promise<TriggerAnswer>;
  close(): Promise<void>;
}

export function functionName(stage: string, fn: string): string {
  return `reef-${stage}-${fn}`;
}

export interface LambdaInvokerOptions {
  /** Function names are `reef-<stage>-<function>`. */
  stage: string;
  /** Lambda API endpoint (serverless-offline); unset means AWS itself. */
  lambdaEndpoint?: string;
  region: string;
  convergeTimeoutMs: number;
  reconcileTimeoutMs: number;
}

export interface InvokerOptions extends LambdaInvokerOptions {
  invoker: "lambda" | "in-process";
}

export class LambdaInvoker implements Invoker {
  readonly kind = "lambda" as const;
  private readonly client: LambdaClient;
  private readonly reconcileClient: LambdaClient;

  constructor(
    private readonly opts: LambdaInvokerOptions,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const local = Boolean(opts.lambdaEndpoint);
    // The SDK's "node >= 22 soon" notice is noise on every local start (Lambda runs nodejs22.x).
    if (local) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const base = {
      region: opts.region,
      endpoint: opts.lambdaEndpoint,
      // serverless-offline checks no signature, but the SDK insists on signing with something
      credentials:
        local && !env.AWS_ACCESS_KEY_ID
          ? { accessKeyId: "reef-local", secretAccessKey: "reef-local" }
          : undefined,
      // retries are the bridge's (capped backoff, then recorded as failed)
      maxAttempts: 1,
    };
    const handler = (requestTimeout: number) => ({
      requestHandler: { connectionTimeout: 5_000, requestTimeout },
    });
    this.client = new LambdaClient({ ...base, ...handler(opts.convergeTimeoutMs) });
    this.reconcileClient = new LambdaClient({ ...base, ...handler(opts.reconcileTimeoutMs) });
  }

  converge(event: ChangeEvent, opts: InvokeOptions = {}): Promise<ConvergeResult> {
    return this.invoke<ConvergeResult>(this.client, "converge", event, opts);
  }

  reconcile(opts: InvokeOptions = {}): Promise<ReconcileResult> {
    return this.invoke<ReconcileResult>(this.reconcileClient, "reconcile", { source: "reef.bridge" }, opts);
  }

  trigger(event: TriggerEvent, opts: InvokeOptions = {}): Promise<TriggerAnswer> {
    return this.invoke<TriggerAnswer>(this.client, "trigger", event, opts);
  }

  private async invoke<T>(
    client: LambdaClient,
    fn: string,
    payload: unknown,
    opts: InvokeOptions,
  ): Promise<T> {
    const name = functionName(this.opts.stage, fn);
    let out;
    try {
      out = await client.send(
        new InvokeCommand({
          FunctionName: name,
          InvocationType: "RequestResponse",
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
        { abortSignal: opts.signal },
      );
    } catch (err) {
      throw new InvokeError("INVOKE_FAILED", `invoke ${name}: ${(err as Error)?.message ?? String(err)}`);
    }
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : "";
    // A handler error is HTTP 200 with FunctionError set: never mistake it for a result.
    if (out.FunctionError) {
      const { errorType, message } = functionError(text);
      const describe = `${name} failed: ${message}`;
      // The function refused the request itself (a malformed event, say): the same call fails again.
      if (errorType && PERMANENT_ERROR_NAMES.has(errorType)) throw new FunctionRejectedError(describe);
      throw new InvokeError("FUNCTION_ERROR", describe);
    }
    if (out.StatusCode !== undefined && (out.StatusCode < 200 || out.StatusCode > 299)) {
      throw new InvokeError("INVOKE_FAILED", `invoke ${name}: status ${out.StatusCode}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new InvokeError("INVOKE_FAILED", `invoke ${name}: answer is not JSON: ${text.slice(0, 200)}`);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    this.reconcileClient.destroy();
  }
}

/** The error type and `errorType: errorMessage` of a Lambda error payload (AWS and serverless-offline shapes). */
function functionError(text: string): { errorType?: string; message: string } {
  try {
    const p = JSON.parse(text) as { errorType?: string; errorMessage?: string; Message?: string };
    const message = p.errorMessage ?? p.Message ?? text;
    return {
      errorType: p.errorType,
      message: p.errorType && p.errorType !== "Error" ? `${p.errorType}: ${message}` : message,
    };
  } catch {
    return { message: text.slice(0, 500) || "unknown error" };
  }
}

/** Calls lib/converge in this process: no Lambda, same semantics (tests, benchmarks). */
export class InProcessInvoker implements Invoker {
  readonly kind = "in-process" as const;
  /** `closeDeps`: releases what `deps` opened (its NATS connection), when the invoker owns them. */
  constructor(
    private readonly deps: () => Promise<ConvergeDeps>,
    private readonly closeDeps?: () => Promise<void>,
  ) {}

  async converge(event: ChangeEvent, opts: InvokeOptions = {}): Promise<ConvergeResult> {
    return converge(await this.deps(), event.key, opts);
  }

  async reconcile(opts: InvokeOptions = {}): Promise<ReconcileResult> {
    return reconcile(await this.deps(), undefined, opts);
  }

  async trigger(event: TriggerEvent): Promise<TriggerAnswer> {
    return triggerJob(await this.deps(), event.id, {
      trigger: event.trigger,
      ...(event.payload ? { payload: Buffer.from(event.payload, "base64") } : {}),
      ...(event.replyTo ? { replyTo: event.replyTo } : {}),
    });
  }

  async close(): Promise<void> {
    await this.closeDeps?.();
  }
}

export function createInvoker(config: InvokerOptions, env: NodeJS.ProcessEnv = process.env): Invoker {
  if (config.invoker === "in-process") {
    // its own context (as a function's): closed with the invoker, or `reef bridge` never exits
    let ctx: Promise<ReefContext> | undefined;
    const open = () =>
      (ctx ??= openContext({ name: "reef-in-process", env, executor: createExecutor }).catch((err) => {
        ctx = undefined; // NATS down: tried again on the next call
        throw err;
      }));
    return new InProcessInvoker(
      async () => convergeDepsOf(await open()),
      async () => {
        const opened = await ctx?.catch(() => undefined);
        ctx = undefined;
        await opened?.close();
      },
    );
  }
  return new LambdaInvoker(config, env);
}
