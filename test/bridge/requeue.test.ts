// The bridge looks again at a pipeline whose converge asked for it (executions still starting), so a
// status shows `running` soon after its executions are up, however many start at once, with no
// reconcile; and a request that can never succeed is recorded at once, not retried.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Bridge, bridgeConfigFromEnv, type BridgeConfig } from "../../lib/bridge";
import { InProcessInvoker, type Invoker } from "../../lib/invoke";
import { InvalidEventError } from "../../lib/model";
import { readEvents } from "../../lib/store";
import { waitFor } from "../helpers/nats";
import {
  openProcessWorld,
  putConfig,
  putDefinition,
  sampleConfig,
  type ProcessWorld,
} from "../helpers/pipelines";
import { memoryLog } from "./fakes";
import { natsHandles } from "../../lib/store/internal";

let w: ProcessWorld;
beforeAll(async () => {
  w = await openProcessWorld();
});
afterAll(() => w.destroy(), 60_000);

function config(durable: string): BridgeConfig {
  // no periodic reconcile: only the start one, before anything is published
  return { ...bridgeConfigFromEnv({ REEF_RESYNC_INTERVAL: "0" }), durable, invoker: "in-process" };
}

async function started(invoker: Invoker, durable: string) {
  const log = memoryLog();
  const bridge = new Bridge({ store: w.store, invoker, config: config(durable), log });
  bridge.start();
  await waitFor(() => log.lines.some((l) => l.message === "reconciled"), "start reconcile", 30_000);
  await waitFor(
    () => natsHandles(w.store).jsm.consumers.info(`KV_${w.names.pipelines}`, durable),
    "consumer",
  );
  return { bridge, log };
}

it("20 pipelines published at once: every status shows running soon after its runner is up", async () => {
  const tag = randomBytes(3).toString("hex");
  const ids = Array.from({ length: 20 }, (_, i) => `many-${tag}-${i}`);
  await Promise.all(ids.map((id) => putConfig(w, id, "1", sampleConfig(id))));
  const { bridge } = await started(new InProcessInvoker(async () => w.deps), `many-${tag}`);
  try {
    await Promise.all(ids.map((id) => putDefinition(w, { id, status: "published", version: "1" })));

    // the runners come up (on a busy machine, one after the other) …
    await waitFor(
      async () => {
        const running = (await w.executor.list()).filter(
          (e) => ids.includes(e.pipeline) && e.state === "running",
        );
        return running.length === ids.length;
      },
      "20 runners up",
      90_000,
    );
    // … and a few seconds later every status says so: the bridge converged each again as asked
    // (the longest wait between two looks is 5 s), with no reconcile in between
    await waitFor(
      async () => {
        const phases = await Promise.all(ids.map(async (id) => (await w.store.getStatus(id))?.phase));
        return phases.every((p) => p === "running");
      },
      "20 statuses running",
      20_000,
    );
    expect(bridge.stats.reconciles).toBe(1);
    expect(bridge.stats.requeues).toBeGreaterThan(0);
    // looks that found nothing to do are not recorded: per pipeline one record of its publish, and
    // a look again only if it acted (on a very busy machine a runner slow to start may be replaced)
    const events = await readEvents(w.store);
    for (const id of ids) {
      const records = events.filter((e) => e.pipeline === id).map((e) => e.record!);
      expect(records.filter((r) => r.trigger === "change")).toHaveLength(1);
      expect(records.filter((r) => r.trigger === "requeue" && !r.result?.actions.length)).toEqual([]);
    }
  } finally {
    await bridge.stop(); // the world's destroy() removes the executions
  }
}, 180_000);

it("a change the function refuses as such (a PermanentError) is recorded failed after one attempt", async () => {
  const tag = randomBytes(3).toString("hex");
  const id = `refused-${tag}`;
  let calls = 0;
  const inner = new InProcessInvoker(async () => w.deps);
  const refusing: Invoker = {
    kind: "in-process",
    async converge(e, opts) {
      if (e.key !== id) return inner.converge(e, opts);
      calls++;
      throw new InvalidEventError("invalid change event: operation: not one of PUT, DEL, PURGE");
    },
    reconcile: (opts) => inner.reconcile(opts),
    close: async () => {},
  };
  const { bridge } = await started(refusing, `refused-${tag}`);
  try {
    await putDefinition(w, { id, status: "draft" });
    await waitFor(async () => (await w.store.getStatus(id))?.phase === "failed", "failed status");
    expect(calls).toBe(1);
    const [record] = (await readEvents(w.store, { pipeline: id })).map((e) => e.record!);
    expect(record).toMatchObject({ outcome: "failed", attempts: 1, error: { code: "INVALID_EVENT" } });
  } finally {
    await bridge.stop();
  }
});
