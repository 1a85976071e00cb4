// How reef calls its functions (the bridge, `reef reconcile`, live replay): through the Lambda
// Invoke API (AWS, or serverless-offline's lambda port locally), or in this process (lib/converge
// directly: tests, benchmarks, `--in-process`).
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { closeConvergeDeps, converge, convergeDepsFromEnv, reconcile } from "../converge";
import type { ConvergeDeps, ConvergeResult, ReconcileResult } from "../converge";
import type { ChangeEvent } from "../model";
import { InvokeError } from "./errors";

export interface Invoker {
  readonly kind: "lambda" | "in-process";
  /** Converges the event's pipeline; throws a coded error when the call or the function failed. */
  converge(event: ChangeEvent): Promise<ConvergeResult>;
  reconcile(): Promise<ReconcileResult>;
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

  converge(event: ChangeEvent): Promise<ConvergeResult> {
    return this.invoke<ConvergeResult>(this.client, "converge", event);
  }

  reconcile(): Promise<ReconcileResult> {
    return this.invoke<ReconcileResult>(this.reconcileClient, "reconcile", { source: "reef.bridge" });
  }

  private async invoke<T>(client: LambdaClient, fn: string, payload: unknown): Promise<T> {
    const name = functionName(this.opts.stage, fn);
    let out;
    try {
      out = await client.send(
        new InvokeCommand({
          FunctionName: name,
          InvocationType: "RequestResponse",
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
    } catch (err) {
      throw new InvokeError("INVOKE_FAILED", `invoke ${name}: ${(err as Error)?.message ?? String(err)}`);
    }
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : "";
    // A handler error is HTTP 200 with FunctionError set: never mistake it for a result.
    if (out.FunctionError) {
      throw new InvokeError("FUNCTION_ERROR", `${name} failed: ${describeFunctionError(text)}`);
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

/** `errorType: errorMessage` of a Lambda error payload (AWS and serverless-offline shapes). */
function describeFunctionError(text: string): string {
  try {
    const p = JSON.parse(text) as { errorType?: string; errorMessage?: string; Message?: string };
    const message = p.errorMessage ?? p.Message ?? text;
    return p.errorType && p.errorType !== "Error" ? `${p.errorType}: ${message}` : message;
  } catch {
    return text.slice(0, 500) || "unknown error";
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

  async converge(event: ChangeEvent): Promise<ConvergeResult> {
    return converge(await this.deps(), event.key);
  }

  async reconcile(): Promise<ReconcileResult> {
    return reconcile(await this.deps());
  }

  async close(): Promise<void> {
    await this.closeDeps?.();
  }
}

export function createInvoker(config: InvokerOptions, env: NodeJS.ProcessEnv = process.env): Invoker {
  if (config.invoker === "in-process") {
    // its own connection (as a function's): closed with the invoker, or `reef bridge` never exits
    return new InProcessInvoker(() => convergeDepsFromEnv(undefined, env), closeConvergeDeps);
  }
  return new LambdaInvoker(config, env);
}
