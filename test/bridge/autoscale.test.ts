// Autoscaling end to end on the process executor (issue 15): a real nats-server, the real bridge
// (its heartbeat monitor asks for converges; converge in process, the real clock), runner processes
// on the built-in engine sharing one durable consumer. A 20,000-message backlog, a 20 ms sleep per
// message, min 1, max 4, targetPending 2000, cooldown 10s. Pipeline threads are fixed at 4 so the
// replicas' speed does not follow the machine's core count; every bound below is generous.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bridge } from "../../lib/bridge";
import { readEvents } from "../../lib/store";
import { natsHandles } from "../../lib/store/internal";
import {
  Deliveries,
  ISSUE_AUTOSCALE,
  ISSUE_BACKLOG,
  publishBacklog,
  running,
  Sampler,
  sleepConfig,
  startBridge,
} from "../helpers/autoscale";
import { waitFor } from "../helpers/nats";
import { openProcessWorld, putConfig, putDefinition, type ProcessWorld } from "../helpers/pipelines";

const s = randomBytes(3).toString("hex");
const id = `autoscale-e2e-${s}`;
const STREAM = `AUTOSCALE_E2E_${s}`;
const SUBJECT = `autoscale-e2e.${s}.in`;
const OUT = `autoscale-e2e.${s}.out`;
const HEARTBEAT_MS = 500;
const autoscale = ISSUE_AUTOSCALE;

let w: ProcessWorld;
let bridge: Bridge;
let deliveries: Deliveries;
let replicas: Sampler;

beforeAll(async () => {
  // A generous stop timeout: a replica removed by a scale-down must drain, even on a loaded machine.
  w = await openProcessWorld({
    REEF_ENGINE: "builtin",
    REEF_HEARTBEAT_INTERVAL: `${HEARTBEAT_MS}ms`,
    REEF_STOP_TIMEOUT: "30",
  });
  await natsHandles(w.store).jsm.streams.add({ name: STREAM, subjects: [SUBJECT] });
  deliveries = await Deliveries.start(w.nc, `${STREAM}_OUT`, OUT);
  await putConfig(w, id, "1", sleepConfig({ subject: SUBJECT, out: OUT, durable: "work", ackWait: "10m" }));
  bridge = startBridge(w.store, w.executor, HEARTBEAT_MS);
  replicas = new Sampler(() => running(w.executor, id));
}, 60_000);

afterAll(async () => {
  replicas?.stop();
  deliveries?.stop();
  await bridge?.stop();
  await w?.destroy();
});

const status = async () => (await w.store.getStatus(id))!;

async function scaleRecords() {
  return (await readEvents(w.store, { pipeline: id }))
    .map((e) => e.record)
    .filter((r) => r?.event.operation === "SCALE")
    .map((r) => r!.scale!);
}

async function consumer() {
  return natsHandles(w.store).jsm.consumers.info(STREAM, "work");
}

/** Nothing left in the consumer: every message acked (bounded). */
async function allAcked(): Promise<void> {
  await waitFor(
    async () => {
      const info = await consumer();
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    "every message acked",
    30_000,
  );
}

/** Waits until every message of [from, from + count) was delivered; the error says how far it got. */
async function allDelivered(from: number, count: number, timeoutMs: number): Promise<void> {
  try {
    await waitFor(() => deliveries.all(from, count), `all ${count} messages delivered`, timeoutMs);
  } catch (err) {
    const info = await consumer().catch(() => null);
    throw new Error(
      `${(err as Error).message}: ${deliveries.delivered(from, count)} were, ${replicas.last} replicas running, consumer pending ${info?.num_pending} ack-pending ${info?.num_ack_pending}`,
    );
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe("autoscaling end to end (process executor, the bridge, 20,000 messages)", () => {
  it("≥ 2 replicas within a minute, never above 4, back to 1 once the backlog is consumed, every message delivered", async () => {
    const t0 = Date.now();
    await publishBacklog(w.nc, SUBJECT, 0, ISSUE_BACKLOG);
    const published = Date.now();
    await putDefinition(w, { id, status: "published", version: "1", replicas: 1, autoscale });

    await waitFor(async () => (await running(w.executor, id)) >= 2, "at least 2 replicas", 60_000);
    const scaledUp = Date.now();
    await allDelivered(0, ISSUE_BACKLOG, 300_000);
    const drained = Date.now();
    await waitFor(
      async () => (await status()).replicas?.desired === 1 && (await running(w.executor, id)) === 1,
      "back to 1 replica",
      120_000,
    );
    const down = Date.now();
    console.log(
      `autoscale e2e (process): backlog published in ${seconds(published - t0)}; ≥2 replicas ${seconds(scaledUp - published)} after publishing the pipeline; ` +
        `backlog drained in ${seconds(drained - published)} (max ${replicas.max} replicas, ${deliveries.duplicates} duplicates); back to 1 ${seconds(down - drained)} later`,
    );

    expect(replicas.max).toBeLessThanOrEqual(autoscale.max);
    expect(replicas.max).toBeGreaterThanOrEqual(2);
    const records = await scaleRecords();
    expect(Math.max(...records.map((r) => r.to))).toBeLessThanOrEqual(autoscale.max);
    // up at once, then down one step per cooldown (never sooner)
    expect(records[0].to).toBeGreaterThan(records[0].from);
    const downs = records.filter((r) => r.to < r.from);
    expect(downs.length).toBeGreaterThanOrEqual(1);
    for (const d of downs) {
      expect(d.from - d.to).toBe(1);
      expect(d.changedAt).not.toBeNull();
      expect(d.now - d.changedAt!).toBeGreaterThanOrEqual(10_000);
    }
    expect(records.at(-1)!.to).toBe(1);
    await allAcked();
  }, 480_000);

  it("scaled down mid-backlog: the removed replicas drain (ack what they finished, hand back the rest), nothing is lost or delivered twice", async () => {
    const from = ISSUE_BACKLOG;
    const count = 8_000;
    const duplicatesBefore = deliveries.duplicates;
    await publishBacklog(w.nc, SUBJECT, from, count);
    await waitFor(async () => (await running(w.executor, id)) >= 3, "3 or more replicas", 60_000);
    await waitFor(() => deliveries.unique >= from + 500, "the new backlog being worked on", 60_000);

    // `reef scale --max 1`: the count follows at once (a bound applies without a cooldown)
    await putDefinition(w, {
      id,
      status: "published",
      version: "1",
      replicas: 1,
      autoscale: { ...autoscale, max: 1 },
    });
    await waitFor(async () => (await running(w.executor, id)) === 1, "1 replica left", 60_000);
    const pendingAtScaleDown = count - (deliveries.unique - from);
    expect(pendingAtScaleDown).toBeGreaterThan(0);

    // What a removed replica finished was acked (nothing is delivered twice) and what it had pulled
    // was handed back (nak). With a 10-minute ack wait, a message it neither acked nor nak'ed would
    // not come back within these bounds.
    await allDelivered(from, count, 240_000);
    await allAcked();
    expect(deliveries.duplicates - duplicatesBefore).toBe(0);
    console.log(
      `autoscale e2e (process): scaled down to 1 with ${pendingAtScaleDown} of ${count} messages left; all delivered, none twice`,
    );
  }, 480_000);

  it("paused while scaled: every replica stops, nothing is consumed, nothing scales it up", async () => {
    const from = ISSUE_BACKLOG + 8_000;
    await putDefinition(w, { id, status: "published", version: "1", replicas: 1, autoscale });
    await publishBacklog(w.nc, SUBJECT, from, 8_000);
    await waitFor(async () => (await running(w.executor, id)) >= 2, "scaled up again", 60_000);

    await putDefinition(w, { id, status: "paused", version: "1", replicas: 1, autoscale });
    await waitFor(
      async () => (await w.executor.list(id)).every((e) => e.state === "stopped"),
      "all stopped",
      60_000,
    );
    await waitFor(async () => (await status()).phase === "stopped", "status stopped", 30_000);
    const st = await status();
    expect(st.phase).toBe("stopped");
    expect(st.replicas).toMatchObject({ current: 0, reason: "paused: not scaled" });
    const seen = deliveries.total;
    const before = await consumer();
    expect(before.num_pending).toBeGreaterThan(0); // a backlog is left, and nobody takes from it
    // An observation window of 6 heartbeat intervals (the monitor looks twice per interval): nothing may happen in it.
    await new Promise((r) => setTimeout(r, 6 * HEARTBEAT_MS));
    const after = await consumer();
    expect(deliveries.total).toBe(seen);
    expect(after.delivered.consumer_seq).toBe(before.delivered.consumer_seq);
    expect((await w.executor.list(id)).filter((e) => e.state !== "stopped")).toEqual([]);
    expect((await status()).replicas?.desired).toBeLessThanOrEqual(st.replicas!.desired);

    await putDefinition(w, { id, status: "draft", version: "1", replicas: 1, autoscale });
    await waitFor(async () => (await w.executor.list(id)).length === 0, "draft: nothing left", 60_000);
  }, 240_000);
});
