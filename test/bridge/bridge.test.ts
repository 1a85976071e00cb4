// The bridge against a real nats-server with the in-process invoker and an in-memory executor.
import { jetstream } from "@nats-io/jetstream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Bridge, type BridgeConfig, type ChangeRecord } from "../../lib/bridge";
import { InProcessInvoker, type Invoker } from "../../lib/invoke";
import type { ConvergeDeps } from "../../lib/converge";
import type { ChangeEvent } from "../../lib/model";
import { openTestStore, waitFor, type TestStore } from "../helpers/nats";
import { definition, FakeExecutor, memoryLog, SAMPLE_CONFIG } from "./fakes";
import { natsHandles } from "../../lib/store/internal";

const baseConfig: BridgeConfig = {
  stage: "test",
  region: "us-east-1",
  invoker: "in-process",
  concurrency: 8,
  durable: "bridge-test",
  ackWaitMs: 5_000,
  maxAckPending: 20_000,
  maxAttempts: 3,
  retryBaseMs: 10,
  retryMaxMs: 50,
  convergeTimeoutMs: 10_000,
  reconcileTimeoutMs: 10_000,
  resyncIntervalMs: 0,
  drainTimeoutMs: 5_000,
};

let t: TestStore;
const bridges: Bridge[] = [];

beforeAll(async () => {
  t = await openTestStore();
});
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.stop()));
});
afterAll(async () => {
  await t.close();
});

function startBridge(invoker: Invoker, config: Partial<BridgeConfig> = {}) {
  const log = memoryLog();
  const bridge = new Bridge({ store: t.store, invoker, config: { ...baseConfig, ...config }, log });
  bridges.push(bridge);
  bridge.start();
  // The start reconcile runs over the whole (shared) bucket: let it finish before a test acts, so it
  // never races the changes under test.
  lastReconcile = waitFor(
    () => log.lines.some((l) => l.message === "reconciled" || l.message === "reconcile failed"),
    "start reconcile",
  ).then(() => undefined);
  return { bridge, log };
}

function inProcess(executor: FakeExecutor): InProcessInvoker {
  const deps: ConvergeDeps = { store: t.store, executor };
  return new InProcessInvoker(async () => deps);
}

let lastReconcile: Promise<void> = Promise.resolve();

/** Waits until the bridge's consumer exists and its start reconcile is done. */
async function consumerReady(durable: string) {
  await lastReconcile;
  await waitFor(
    () => natsHandles(t.store).jsm.consumers.info(`KV_${t.names.pipelines}`, durable),
    "consumer",
  );
}

async function records(id: string): Promise<ChangeRecord[]> {
  const js = jetstream(t.nc);
  const c = await js.consumers.get(t.names.events, { filter_subjects: t.store.eventSubject(id) });
  const out: ChangeRecord[] = [];
  for (;;) {
    const m = await c.next({ expires: 1_000 });
    if (!m) return out;
    out.push(m.json<ChangeRecord>());
  }
}

async function ackPending(durable: string): Promise<number> {
  const info = await natsHandles(t.store).jsm.consumers.info(`KV_${t.names.pipelines}`, durable);
  return info.num_ack_pending + info.num_pending;
}

describe("bridge (in-process invoker)", () => {
  it("publish → running, pause → stopped, draft → absent, delete → status gone; every change recorded", async () => {
    const executor = new FakeExecutor();
    startBridge(inProcess(executor), { durable: "lifecycle" });
    await consumerReady("lifecycle");
    const id = "life-1";
    await t.store.putConfig(id, "1", SAMPLE_CONFIG);

    await t.store.putDefinition(id, definition(id, "published"));
    await waitFor(async () => (await t.store.getStatus(id))?.phase === "running", "running");
    expect((await executor.list(id)).map((e) => e.state)).toEqual(["running"]);

    await t.store.putDefinition(id, definition(id, "paused"));
    await waitFor(async () => (await t.store.getStatus(id))?.phase === "stopped", "stopped");
    expect((await executor.list(id)).map((e) => e.state)).toEqual(["stopped"]);

    await t.store.putDefinition(id, definition(id, "draft"));
    await waitFor(async () => (await t.store.getStatus(id))?.phase === "absent", "absent");
    expect(await executor.list(id)).toEqual([]);

    await t.store.deleteDefinition(id);
    await waitFor(async () => (await t.store.getStatus(id)) === null, "status deleted");

    const recs = await waitFor(async () => {
      const r = await records(id);
      return r.length === 4 ? r : null;
    }, "4 records");
    expect(recs.map((r) => [r.event.operation, r.outcome, r.result?.phase])).toEqual([
      ["PUT", "ok", "running"],
      ["PUT", "ok", "stopped"],
      ["PUT", "ok", "absent"],
      ["DEL", "ok", "deleted"],
    ]);
    for (const r of recs) {
      expect(r.attempts).toBe(1);
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(r.handledAt)).not.toBeNaN();
    }
    await waitFor(async () => (await ackPending("lifecycle")) === 0, "all acked");
  });

  it("converges a pipeline whose config arrives after its definition, without waiting for reconcile", async () => {
    const executor = new FakeExecutor();
    startBridge(inProcess(executor), { durable: "late-config" });
    await consumerReady("late-config");
    const id = `late-${Math.random().toString(16).slice(2, 8)}`;

    // a client writes the definition first…
    await t.store.putDefinition(id, definition(id, "published", "7"));
    const failed = await waitFor(async () => (await t.store.getStatus(id))?.error, "CONFIG_NOT_FOUND");
    expect(failed.code).toBe("CONFIG_NOT_FOUND");
    // …a config of another version changes nothing; the named one makes it run
    await t.store.putConfig(id, "8", SAMPLE_CONFIG);
    await t.store.putConfig(id, "7", SAMPLE_CONFIG);
    await waitFor(async () => (await t.store.getStatus(id))?.phase === "running", "running");
    expect((await executor.list(id)).map((e) => [e.version, e.state])).toEqual([["7", "running"]]);
    const recs = await waitFor(async () => {
      const r = await records(id);
      return r.length === 2 ? r : null;
    }, "2 records");
    expect(recs.map((r) => [r.event.operation, r.result?.phase])).toEqual([
      ["PUT", "failed"],
      ["PUT", "running"],
    ]);
  });

  it("coalesces a burst on one key, never runs two invocations of a key at once, acks everything", async () => {
    const executor = new FakeExecutor();
    const inner = inProcess(executor);
    let concurrent = 0;
    let maxConcurrent = 0;
    let calls = 0;
    const invoker: Invoker = {
      kind: "in-process",
      async converge(e: ChangeEvent) {
        calls++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        try {
          await new Promise((r) => setTimeout(r, 30));
          return await inner.converge(e);
        } finally {
          concurrent--;
        }
      },
      reconcile: () => inner.reconcile(),
      close: async () => {},
    };
    const { bridge } = startBridge(invoker, { durable: "burst" });
    await consumerReady("burst");
    const id = "burst-1";
    for (let v = 1; v <= 40; v++) await t.store.putConfig(id, String(v), SAMPLE_CONFIG);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.store.putDefinition(id, definition(id, "published", String(i + 1))),
      ),
    );
    const last = await t.store.getDefinitionEntry(id);
    await waitFor(async () => (await t.store.getStatus(id))?.revision === last!.revision, "last revision");
    await bridge.idle();
    await waitFor(async () => (await ackPending("burst")) === 0, "all acked");
    expect(maxConcurrent).toBe(1);
    expect(calls).toBeLessThan(40);
    const status = await t.store.getStatus(id);
    expect(status?.version).toBe(JSON.parse(new TextDecoder().decode(last!.value)).version);
    expect((await executor.list(id)).map((e) => e.version)).toEqual([status?.version]);
  });

  it("bounds concurrency across pipelines", async () => {
    const executor = new FakeExecutor();
    const inner = inProcess(executor);
    let concurrent = 0;
    let maxConcurrent = 0;
    const invoker: Invoker = {
      kind: "in-process",
      async converge(e) {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        try {
          await new Promise((r) => setTimeout(r, 20));
          return await inner.converge(e);
        } finally {
          concurrent--;
        }
      },
      reconcile: () => inner.reconcile(),
      close: async () => {},
    };
    startBridge(invoker, { durable: "conc", concurrency: 3 });
    await consumerReady("conc");
    const ids = Array.from({ length: 20 }, (_, i) => `conc-${i}`);
    await Promise.all(ids.map((id) => t.store.putDefinition(id, definition(id, "draft"))));
    await waitFor(async () => {
      const s = await Promise.all(ids.map((id) => t.store.getStatus(id)));
      return s.every((x) => x?.phase === "absent");
    }, "all absent");
    expect(maxConcurrent).toBeLessThanOrEqual(3);
    expect(maxConcurrent).toBeGreaterThan(1);
  });

  it("records a change that keeps failing as failed, with the error in the status, and keeps going", async () => {
    const executor = new FakeExecutor();
    const inner = inProcess(executor);
    let attemptsOnBad = 0;
    const invoker: Invoker = {
      kind: "in-process",
      async converge(e) {
        if (e.key === "bad-1") {
          attemptsOnBad++;
          throw Object.assign(new Error("boom in handler"), { code: "FUNCTION_ERROR" });
        }
        return inner.converge(e);
      },
      reconcile: () => inner.reconcile(),
      close: async () => {},
    };
    const { bridge } = startBridge(invoker, { durable: "fail", maxAttempts: 3 });
    await consumerReady("fail");
    await t.store.putDefinition("bad-1", definition("bad-1", "draft"));
    const status = await waitFor(async () => {
      const s = await t.store.getStatus("bad-1");
      return s?.phase === "failed" ? s : null;
    }, "failed status");
    expect(status.error).toEqual({ code: "FUNCTION_ERROR", message: "boom in handler" });
    const [rec] = await waitFor(async () => {
      const r = await records("bad-1");
      return r.length ? r : null;
    }, "record");
    expect(rec).toMatchObject({ outcome: "failed", attempts: 3, error: { code: "FUNCTION_ERROR" } });
    expect(attemptsOnBad).toBe(3);

    await t.store.putDefinition("good-1", definition("good-1", "draft"));
    await waitFor(async () => (await t.store.getStatus("good-1"))?.phase === "absent", "good converged");
    await bridge.idle();
    expect(bridge.stats.failed).toBe(1);
    await waitFor(async () => (await ackPending("fail")) === 0, "failed change acked too");
  });

  it("resumes from its durable consumer: changes made while no bridge ran are delivered", async () => {
    const executor = new FakeExecutor();
    const first = startBridge(inProcess(executor), { durable: "resume" });
    await consumerReady("resume");
    await first.bridge.stop();
    bridges.splice(bridges.indexOf(first.bridge), 1);

    await t.store.putDefinition("resume-1", definition("resume-1", "draft"));
    let reconciles = 0;
    const inner = inProcess(executor);
    const counting: Invoker = {
      kind: "in-process",
      converge: (e) => inner.converge(e),
      reconcile: async () => {
        reconciles++;
        return { results: [], orphans: [], failures: [] }; // prove the consumer, not reconcile, did it
      },
      close: async () => {},
    };
    startBridge(counting, { durable: "resume" });
    await waitFor(
      async () => (await t.store.getStatus("resume-1"))?.phase === "absent",
      "delivered after restart",
    );
    expect(reconciles).toBe(1); // at start only: the consumer existed, nothing was recreated
  });

  it("re-creates a deleted consumer and reconciles (changes made meanwhile are not lost)", async () => {
    const executor = new FakeExecutor();
    const inner = inProcess(executor);
    let reconciles = 0;
    const invoker: Invoker = {
      kind: "in-process",
      converge: (e) => inner.converge(e),
      reconcile: () => {
        reconciles++;
        return inner.reconcile();
      },
      close: async () => {},
    };
    const { log } = startBridge(invoker, { durable: "lost" });
    await consumerReady("lost");
    await waitFor(() => reconciles >= 1, "first reconcile");
    await natsHandles(t.store).jsm.consumers.delete(`KV_${t.names.pipelines}`, "lost");
    await t.store.putDefinition("lost-1", definition("lost-1", "draft"));
    await waitFor(
      () => natsHandles(t.store).jsm.consumers.info(`KV_${t.names.pipelines}`, "lost"),
      "consumer re-created",
      20_000,
    );
    await waitFor(async () => (await t.store.getStatus("lost-1"))?.phase === "absent", "converged", 20_000);
    expect(reconciles).toBeGreaterThanOrEqual(2);
    expect(log.lines.some((l) => l.message === "consumer created")).toBe(true);
  });
});
