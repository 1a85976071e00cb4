// End to end: real nats-server, serverless-offline, the bridge process and the process executor.
// Definitions are written with a plain NATS KV client, as any user or language would.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { Kvm } from "@nats-io/kv";
import { applyPlan } from "../../lib/converge";
import { createProcessExecutor } from "../../lib/executors/process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChains } from "../../lib/store";
import { waitFor } from "../helpers/nats";
import { eventRecords, listExecutions, ROOT, startStack, type BridgeProc, type Stack } from "./harness";

const CONFIG = new TextEncoder().encode(
  "input:\n  generate:\n    mapping: 'root = 1'\noutput:\n  drop: {}\n",
);

let s: Stack;
let bridge: BridgeProc;

beforeAll(async () => {
  s = await startStack();
  bridge = s.startBridge();
  // The start reconcile converges every key it lists; let it finish so it never handles one of
  // this test's changes before the bridge does (records would then lag their events — correct,
  // level-triggered, but not what this test pins down).
  await waitFor(() => bridge.lines.some((l) => l.includes('"reconciled"')), "start reconcile", 30_000);
  await waitFor(() => bridge.lines.some((l) => l.includes('"consuming"')), "bridge consuming", 20_000);
}, 120_000);
afterAll(async () => {
  await s?.close();
});

function def(id: string, status: string, version = "1") {
  return JSON.stringify({ id, status, version, replicas: 1 });
}

async function phase(id: string) {
  return (await s.t.store.getStatus(id))?.phase;
}

describe("e2e: publish → pause → draft → delete", () => {
  it("converges each change through the real functions and executor", async () => {
    const kv = await new Kvm(s.t.nc).open(s.t.names.pipelines); // a plain NATS client
    const id = "e2e-life";
    await s.t.store.putConfig(id, "1", CONFIG);

    const t0 = Date.now();
    await kv.put(id, def(id, "published"));
    await waitFor(async () => (await phase(id)) === "running", "running", 15_000);
    const runningAfterMs = Date.now() - t0;
    const [exe] = await listExecutions(s.env, id);
    expect(exe).toMatchObject({ pipeline: id, version: "1", state: "running" });
    expect(runningAfterMs).toBeLessThan(15_000);

    await kv.put(id, def(id, "paused"));
    await waitFor(async () => (await phase(id)) === "stopped", "stopped", 20_000);
    expect((await listExecutions(s.env, id)).map((e) => e.state)).toEqual(["stopped"]);

    await kv.put(id, def(id, "draft"));
    await waitFor(async () => (await phase(id)) === "absent", "absent", 20_000);
    expect(await listExecutions(s.env, id)).toEqual([]);

    await kv.delete(id);
    await waitFor(async () => (await s.t.store.getStatus(id)) === null, "status gone", 15_000);

    // One record per change. A look-again the bridge made on its own (trigger "requeue") is
    // recorded only when it acted, e.g. restarting a runner that failed to start on a loaded
    // machine; it is not one of the changes made here.
    const recs = await waitFor(async () => {
      const r = (await eventRecords(s.t, id)).filter((rec) => (rec.trigger ?? "change") === "change");
      return r.length >= 4 ? r : null;
    }, "records");
    expect(recs.map((r) => [r.event.operation, r.outcome])).toEqual([
      ["PUT", "ok"],
      ["PUT", "ok"],
      ["PUT", "ok"],
      ["DEL", "ok"],
    ]);
    // the publish is recorded with what its converge saw: the runner may still be starting (the
    // bridge then looked again until the status said running, above)
    expect(recs.map((r) => r.result?.phase)).toEqual([
      expect.stringMatching(/^(pending|running)$/),
      "stopped",
      "absent",
      "deleted",
    ]);
    // each record is the converge of its own change: the result acted on the event's revision
    expect(recs.map((r) => r.result?.revision)).toEqual(recs.map((r) => r.event.revision));
    const report = await verifyChains(s.t.store, { pipeline: id });
    expect(report.ok).toBe(true);
  });

  it("a graceful stop (SIGTERM) drains and exits 0; a new bridge continues from the durable consumer", async () => {
    expect(await bridge.stop("SIGTERM")).toBe(0);
    expect(bridge.lines.some((l) => l.includes('"bridge stopped"'))).toBe(true);
    const id = "e2e-after-restart";
    await s.t.store.putDefinition(id, def(id, "draft"));
    bridge = s.startBridge({ REEF_RESYNC_INTERVAL: "0" });
    await waitFor(async () => (await phase(id)) === "absent", "converged after restart", 20_000);
  });
});

describe("e2e: reef reconcile", () => {
  it("invokes the reconcile function, which removes an orphaned execution (labelled, no definition)", async () => {
    const id = "e2e-orphan";
    // the restarted bridge's start reconcile must not be the one that finds the orphan
    await waitFor(() => bridge.lines.some((l) => l.includes('"reconciled"')), "start reconcile", 30_000);
    const { digest } = await s.t.store.putConfig(id, "1", CONFIG);
    await applyPlan(createProcessExecutor(s.env), {
      pipeline: id,
      target: { state: "running", version: "1", digest, replicas: 1 },
      actions: [{ type: "start", pipeline: id, replica: 0, version: "1", digest }],
    });
    expect(await listExecutions(s.env, id)).toHaveLength(1);

    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, "dist/reef.mjs"), "reconcile", "--json", "--endpoint", s.offline.lambdaEndpoint],
      { env: { ...s.env }, timeout: 60_000 },
    );
    const result = JSON.parse(stdout) as { orphans: string[]; failures: unknown[] };
    expect(result.orphans).toContain(id);
    expect(result.failures).toEqual([]);
    expect(await listExecutions(s.env, id)).toEqual([]);
  });
});
