// The Lambda invoker against a mocked Lambda client: names, payload, and the FunctionError rule
// (a handler error is HTTP 200 with FunctionError set, never a result).
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { bridgeConfigFromEnv } from "../../lib/bridge";
import { durationMs } from "../../lib/model";
import { LambdaInvoker } from "../../lib/invoke";

const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());

const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
const event = { key: "p1", operation: "PUT" as const, revision: 7, timestamp: "2026-11-24T10:00:00.000Z" };

function invoker(env: Record<string, string> = {}) {
  return new LambdaInvoker(
    bridgeConfigFromEnv({ REEF_STAGE: "qa", REEF_LAMBDA_ENDPOINT: "http://127.0.0.1:1", ...env }),
    {},
  );
}

describe("LambdaInvoker", () => {
  it("invokes reef-<stage>-converge RequestResponse with the change event and returns the result", async () => {
    const result = { id: "p1", revision: 7, phase: "running", actions: [], error: null };
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: enc(result) as never });
    await expect(invoker().converge(event)).resolves.toEqual(result);
    const call = lambda.commandCalls(InvokeCommand)[0].args[0].input;
    expect(call.FunctionName).toBe("reef-qa-converge");
    expect(call.InvocationType).toBe("RequestResponse");
    expect(JSON.parse(new TextDecoder().decode(call.Payload as Uint8Array))).toEqual(event);
  });

  it("turns FunctionError (HTTP 200) into FUNCTION_ERROR with the handler's message", async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: "Unhandled",
      Payload: enc({ errorType: "LeaseBusyError", errorMessage: "pipeline p1 is busy" }) as never,
    });
    await expect(invoker().converge(event)).rejects.toMatchObject({
      code: "FUNCTION_ERROR",
      message: "reef-qa-converge failed: LeaseBusyError: pipeline p1 is busy",
    });
  });

  it("reports transport failures and non-JSON answers as INVOKE_FAILED", async () => {
    lambda.on(InvokeCommand).rejects(new Error("connect ECONNREFUSED"));
    await expect(invoker().converge(event)).rejects.toMatchObject({ code: "INVOKE_FAILED" });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: enc("<html>") as never });
    await expect(invoker().converge(event)).rejects.toMatchObject({ code: "INVOKE_FAILED" });
  });

  it("invokes reef-<stage>-reconcile", async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: enc({ results: [], orphans: [], failures: [] }) as never });
    await invoker({ REEF_STAGE: "prod" }).reconcile();
    expect(lambda.commandCalls(InvokeCommand)[0].args[0].input.FunctionName).toBe("reef-prod-reconcile");
  });
});

describe("bridge config", () => {
  it("has safe defaults and reads durations in several units", () => {
    const c = bridgeConfigFromEnv({});
    expect(c).toMatchObject({ stage: "dev", concurrency: 8, resyncIntervalMs: 60_000, invoker: "lambda" });
    expect(c.lambdaEndpoint).toBeUndefined();
    expect(c.convergeTimeoutMs).toBeGreaterThan(120_000); // above the converge function's timeout
    expect(c.reconcileTimeoutMs).toBeGreaterThan(300_000);
    expect([durationMs("90"), durationMs("90s"), durationMs("500ms"), durationMs("2m")]).toEqual([
      90_000, 90_000, 500, 120_000,
    ]);
    expect(bridgeConfigFromEnv({ REEF_RESYNC_INTERVAL: "0" }).resyncIntervalMs).toBe(0);
  });

  it("rejects bad values with INVALID_CONFIG", () => {
    expect(() => bridgeConfigFromEnv({ REEF_BRIDGE_CONCURRENCY: "0" })).toThrow(/REEF_BRIDGE_CONCURRENCY/);
    expect(() => bridgeConfigFromEnv({ REEF_RESYNC_INTERVAL: "soon" })).toThrow(/REEF_RESYNC_INTERVAL/);
    expect(() => bridgeConfigFromEnv({ REEF_BRIDGE_INVOKER: "carrier-pigeon" })).toThrow(
      /REEF_BRIDGE_INVOKER/,
    );
  });
});
