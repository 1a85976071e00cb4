// Where --live goes, and that a deployed stage is invoked as reef-<stage>-converge through the AWS SDK.
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import {
  createLiveInvoker,
  describeTarget,
  liveStep,
  liveTargetFrom,
  type ReplayItem,
} from "../../lib/replay";

const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());

const noDeps = () => Promise.reject(new Error("not used"));

describe("liveTargetFrom", () => {
  it("defaults to serverless-offline's lambda port, REEF_LAMBDA_ENDPOINT and REEF_STAGE when set", () => {
    expect(liveTargetFrom({}, {})).toEqual({
      kind: "lambda",
      stage: "dev",
      region: "us-east-1",
      endpoint: "http://127.0.0.1:3002",
    });
    const t = liveTargetFrom({}, { REEF_LAMBDA_ENDPOINT: "http://127.0.0.1:4002", REEF_STAGE: "test" });
    expect(describeTarget(t)).toBe("reef-test-converge at http://127.0.0.1:4002");
    expect(liveTargetFrom({ endpoint: "http://h:1" }, {}).endpoint).toBe("http://h:1");
  });

  it("--stage without --endpoint is the deployed stage in AWS; --in-process is this process", () => {
    const aws = liveTargetFrom(
      { stage: "prod" },
      { AWS_REGION: "eu-west-1", REEF_LAMBDA_ENDPOINT: "http://x" },
    );
    expect(aws).toEqual({ kind: "lambda", stage: "prod", region: "eu-west-1" });
    expect(describeTarget(aws)).toBe("reef-prod-converge in AWS (eu-west-1)");
    expect(describeTarget(liveTargetFrom({ inProcess: true }, {}))).toBe("converge in this process");
  });
});

describe("live replay to a deployed stage", () => {
  const item: ReplayItem = {
    seq: 7,
    pipeline: "orders",
    event: { key: "orders", operation: "PUT", revision: 42, timestamp: "2026-11-24T10:00:00.000Z" },
    recorded: null,
    time: new Date(),
  };

  it("invokes reef-<stage>-converge with the change event and returns its result", async () => {
    const result = {
      id: "orders",
      revision: 43,
      operation: "PUT",
      desired: "draft",
      observed: [],
      actions: [],
      phase: "absent",
      error: null,
    };
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(result)) as never });
    const invoker = createLiveInvoker(
      liveTargetFrom({ stage: "prod" }, { AWS_REGION: "eu-west-1" }),
      noDeps,
      {
        AWS_ACCESS_KEY_ID: "x",
      },
    );
    const step = await liveStep(invoker, item);
    expect(step).toMatchObject({ seq: 7, result, error: null });
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toMatchObject({
      FunctionName: "reef-prod-converge",
      InvocationType: "RequestResponse",
    });
    expect(JSON.parse(new TextDecoder().decode(calls[0].args[0].input.Payload as Uint8Array))).toEqual(
      item.event,
    );
  });

  it("a FunctionError is a failed step, never a result", async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: "Unhandled",
      Payload: new TextEncoder().encode(
        JSON.stringify({ errorType: "Error", errorMessage: "boom" }),
      ) as never,
    });
    const invoker = createLiveInvoker(liveTargetFrom({ stage: "prod" }, {}), noDeps, {});
    const step = await liveStep(invoker, item);
    expect(step.result).toBeNull();
    expect(step.error).toEqual({ code: "FUNCTION_ERROR", message: "reef-prod-converge failed: boom" });
  });
});

describe("exportFileName", () => {
  it("sorts in replay order, recorded events and bare history revisions alike", async () => {
    const { exportFileName } = await import("../../lib/replay");
    const item = (seq: number | null, revision: number): ReplayItem => ({
      seq,
      pipeline: "orders",
      event: { key: "orders", operation: "PUT", revision, timestamp: "" },
      recorded: null,
      time: new Date(),
    });
    expect(exportFileName(item(12, 40))).toBe("00000012-orders-r40.json");
    const names = [item(null, 9), item(null, 10)].map(exportFileName);
    expect(names).toEqual(["h00000009-orders-r9.json", "h00000010-orders-r10.json"]);
    expect([...names].sort()).toEqual(names);
  });
});
