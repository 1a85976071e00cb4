// A handler error (here: a misconfigured executor, so every converge throws) comes back from
// serverless-offline as HTTP 200 + FunctionError: the bridge must see it, record the change as
// failed in the events stream, put the error in the pipeline's status, and keep going.
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort } from "../../lib/local";
import { waitFor } from "../helpers/nats";
import { eventRecords, startStack, type Stack } from "./harness";
import { natsHandles } from "../../lib/store/internal";

let s: Stack;
beforeAll(async () => {
  s = await startStack({ REEF_EXECUTOR: "no-such-executor" });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

function def(id: string) {
  return JSON.stringify({ id, status: "draft", version: "1" });
}

it("records a failing converge as failed, with the error in the status, and keeps going", async () => {
  const bridge = s.startBridge({ REEF_BRIDGE_MAX_ATTEMPTS: "3", REEF_RESYNC_INTERVAL: "0" });
  await waitFor(() => bridge.lines.some((l) => l.includes('"consuming"')), "bridge consuming", 20_000);

  await s.t.store.putDefinition("fail-a", def("fail-a"));
  const [rec] = await waitFor(async () => {
    const r = await eventRecords(s.t, "fail-a");
    return r.length ? r : null;
  }, "failed record");
  expect(rec.outcome).toBe("failed");
  expect(rec.attempts).toBe(3);
  expect(rec.result).toBeUndefined();
  expect(rec.error?.code).toBe("FUNCTION_ERROR");
  expect(rec.error?.message).toMatch(/REEF_EXECUTOR must be process, docker, ecs or host/);

  const status = await waitFor(() => s.t.store.getStatus("fail-a"), "status");
  expect(status.phase).toBe("failed");
  expect(status.error).toEqual(rec.error);
  expect(status.revision).toBe(rec.event.revision);

  // The bridge is alive and handles the next change (which fails the same way).
  await s.t.store.putDefinition("fail-b", def("fail-b"));
  await waitFor(async () => (await eventRecords(s.t, "fail-b")).length === 1, "next change handled");
  expect(bridge.child.exitCode).toBeNull();
  await waitFor(async () => {
    const info = await natsHandles(s.t.store).jsm.consumers.info(`KV_${s.t.names.pipelines}`, "e2e");
    return info.num_ack_pending === 0 && info.num_pending === 0;
  }, "failed changes acked");
  expect(await bridge.stop("SIGTERM")).toBe(0);
});

it("records an unreachable function as INVOKE_FAILED", async () => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const bridge = s.startBridge({
    REEF_LAMBDA_ENDPOINT: dead,
    REEF_BRIDGE_DURABLE: "dead-endpoint",
    REEF_BRIDGE_MAX_ATTEMPTS: "2",
    REEF_RESYNC_INTERVAL: "0",
  });
  await waitFor(() => bridge.lines.some((l) => l.includes('"consuming"')), "bridge consuming", 20_000);
  await s.t.store.putDefinition("fail-c", def("fail-c"));
  const recs = await waitFor(async () => {
    const r = (await eventRecords(s.t, "fail-c")).filter((x) => x.error?.code === "INVOKE_FAILED");
    return r.length ? r : null;
  }, "INVOKE_FAILED record");
  expect(recs[0]).toMatchObject({ outcome: "failed", attempts: 2 });
  expect(bridge.lines.some((l) => l.includes('"reconcile failed"'))).toBe(true);
  await bridge.stop("SIGTERM");
});
