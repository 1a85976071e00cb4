// Autoscaling end to end (CONTRACT.md §6): a real nats-server, real runner processes (process
// executor, built-in engine) sharing one durable JetStream consumer, and converge with an injected
// clock, so the cooldown passes without waiting for it. Heartbeats every 300 ms; converge is told
// the interval is 60 s, so the heartbeats stay fresh however far the test moves its clock.
import { randomBytes } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge, type ConvergeDeps } from "../../lib/converge";
import type { PipelineStatus } from "../../lib/model";
import { readEvents } from "../../lib/store";
import { waitFor } from "../helpers/nats";
import { openProcessWorld, putConfig, putDefinition, type ProcessWorld } from "../helpers/pipelines";
import { natsHandles } from "../../lib/store/internal";

const s = randomBytes(3).toString("hex");
const id = `scaled-${s}`;
const STREAM = `AUTOSCALE_${s}`;
const SUBJECT = `autoscale.${s}.in`;
const OUT = `autoscale.${s}.out`;
const BACKLOG = 1_500;
const autoscale = { min: 1, max: 4, targetPending: 300, cooldown: "10s" };

let w: ProcessWorld;
let deps: ConvergeDeps;
let clock = Date.now();
const delivered = new Set<number>();

beforeAll(async () => {
  w = await openProcessWorld({ REEF_ENGINE: "builtin", REEF_HEARTBEAT_INTERVAL: "300ms" });
  deps = { ...w.deps, heartbeatIntervalMs: 60_000, now: () => clock };
  await natsHandles(w.store).jsm.streams.add({ name: STREAM, subjects: [SUBJECT] });
  w.nc.subscribe(OUT, { callback: (_e, m) => void delivered.add((m.json() as { i: number }).i) });
  // A small max_ack_pending keeps the backlog in the consumer, where every replica can take from it.
  await putConfig(
    w,
    id,
    "1",
    `input:
  nats_jetstream:
    urls: [ "\${NATS_URL}" ]
    subject: ${SUBJECT}
    durable: work
    deliver: all
    max_ack_pending: 40
pipeline:
  processors:
    - sleep:
        duration: 10ms
output:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${OUT}
`,
  );
}, 60_000);

afterAll(async () => {
  await w?.destroy();
});

async function backlog(from: number, count: number): Promise<void> {
  const js = jetstream(w.nc);
  for (let i = from; i < from + count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, from + count - i) }, (_, k) =>
        js.publish(SUBJECT, JSON.stringify({ i: i + k })),
      ),
    );
  }
}

async function status(): Promise<PipelineStatus> {
  return (await w.store.getStatus(id))!;
}

async function runningCount(): Promise<number> {
  return (await w.executor.list(id)).filter((e) => e.state === "running").length;
}

async function scaleRecords() {
  return (await readEvents(w.store, { pipeline: id })).filter((e) => e.record?.event.operation === "SCALE");
}

/** Waits until a running replica reports a consumer lag that `ok` accepts. */
function lagReported(ok: (pending: number) => boolean, what: string) {
  return waitFor(
    async () => {
      const hbs = await w.store.listHeartbeats(id);
      return hbs.some(
        (h) => h.heartbeat.state === "running" && h.heartbeat.lag && ok(h.heartbeat.lag.pending),
      );
    },
    what,
    30_000,
  );
}

/** The clock at `ms` after the last change of the replica count. */
async function afterLastChange(ms: number): Promise<void> {
  clock = Date.parse((await status()).replicas!.changedAt) + ms;
}

describe("autoscaling on JetStream lag", () => {
  it("a backlog makes replicas go up at once, never above max", async () => {
    await backlog(0, BACKLOG);
    await putDefinition(w, { id, status: "published", version: "1", replicas: 1, autoscale });
    await converge(deps, id);
    // the starting count, until a heartbeat says what the lag is
    expect((await status()).replicas).toMatchObject({
      desired: 1,
      reason: expect.stringMatching(/no fresh heartbeat/),
    });

    await lagReported((p) => p > 3 * autoscale.targetPending, "a heartbeat with the backlog's lag");
    clock = Date.now();
    await converge(deps, id);
    const up = await status();
    expect(up.replicas).toMatchObject({ desired: 4, reason: expect.stringMatching(/: up$/) });
    await waitFor(async () => (await runningCount()) === 4, "4 replicas running", 30_000);
    const records = await scaleRecords();
    expect(records).toHaveLength(1);
    expect(records[0].record).toMatchObject({
      trigger: "autoscale",
      outcome: "ok",
      scale: { from: 1, to: 4 },
      result: { actions: expect.arrayContaining([expect.stringMatching(/^start/)]) },
    });
    expect(records[0].record?.hash).toMatch(/^[0-9a-f]{64}$/);
    // the user's definition is never rewritten
    const def = JSON.parse(new TextDecoder().decode((await w.store.getDefinitionEntry(id))!.value));
    expect(def.replicas).toBe(1);
  }, 120_000);

  it("the drained backlog brings them down one step per cooldown, after every message was delivered", async () => {
    await waitFor(() => delivered.size === BACKLOG, `all ${BACKLOG} messages delivered`, 90_000);
    await lagReported((p) => p === 0, "a heartbeat with no lag");
    await waitFor(
      async () => (await w.store.listHeartbeats(id)).every((h) => h.heartbeat.lag?.pending === 0),
      "every replica reporting no lag",
    );

    await afterLastChange(5_000);
    await converge(deps, id);
    expect((await status()).replicas).toMatchObject({
      desired: 4,
      reason: expect.stringMatching(/cooldown/),
    });

    for (const n of [3, 2, 1]) {
      await afterLastChange(11_000);
      await converge(deps, id);
      expect((await status()).replicas).toMatchObject({
        desired: n,
        reason: expect.stringMatching(/one step down/),
      });
      await converge(deps, id); // same clock: the cooldown holds the next step
      expect((await status()).replicas?.desired).toBe(n);
    }
    await afterLastChange(60_000);
    await converge(deps, id);
    const done = await status();
    expect(done.replicas).toMatchObject({ desired: 1, current: 1 });
    expect(await runningCount()).toBe(1);
    expect((await scaleRecords()).map((e) => [e.record?.scale?.from, e.record?.scale?.to])).toEqual([
      [1, 4],
      [4, 3],
      [3, 2],
      [2, 1],
    ]);
  }, 150_000);

  it("paused while scaled: everything stops and nothing scales it up", async () => {
    await backlog(BACKLOG, BACKLOG);
    await lagReported((p) => p > 3 * autoscale.targetPending, "a heartbeat with the new backlog's lag");
    clock = Date.now();
    await converge(deps, id);
    expect((await status()).replicas?.desired).toBe(4);
    await waitFor(async () => (await runningCount()) === 4, "4 replicas running", 30_000);

    await putDefinition(w, { id, status: "paused", version: "1", replicas: 1, autoscale });
    await converge(deps, id);
    await waitFor(async () => (await runningCount()) === 0, "every replica stopped", 30_000);
    for (const ahead of [0, 60_000, 600_000]) {
      clock = Date.now() + ahead;
      await converge(deps, id);
      const st = await status();
      expect(st.phase).toBe("stopped");
      expect(st.replicas).toMatchObject({ desired: 4, current: 0, reason: "paused: not scaled" });
      expect(await runningCount()).toBe(0);
    }
  }, 150_000);

  it("an invalid autoscale block makes the definition failed with INVALID_DEFINITION, and leaves what runs", async () => {
    await putDefinition(w, { id, status: "paused", version: "1", autoscale: { ...autoscale, min: 5 } });
    await converge(deps, id);
    expect(await status()).toMatchObject({
      phase: "failed",
      error: {
        code: "INVALID_DEFINITION",
        message: expect.stringMatching(/autoscale\.min: min 5 is above max 4/),
      },
    });
  }, 60_000);

  it("an input the replicas cannot share: status says autoscale has no effect, the count stays", async () => {
    const gen = `scaled-gen-${s}`;
    await putConfig(
      w,
      gen,
      "1",
      "input:\n  generate:\n    mapping: 'root = 1'\n    interval: 1s\noutput:\n  drop: {}\n",
    );
    await putDefinition(w, { id: gen, status: "published", version: "1", replicas: 2, autoscale });
    await converge(deps, gen);
    const st = (await w.store.getStatus(gen))!;
    expect(st.replicas).toMatchObject({
      desired: 2,
      reason: expect.stringMatching(
        /^input generate makes its own messages in every replica .*: autoscale has no effect/,
      ),
    });
    await putDefinition(w, { id: gen, status: "draft", version: "1", replicas: 2, autoscale });
    await converge(deps, gen);
  }, 60_000);

  it("min 0: scales to zero once idle, and a backlog brings it back from zero (the consumer read directly)", async () => {
    const zero = `scaled-zero-${s}`;
    const subject = `autoscale.${s}.zero`;
    const out = `autoscale.${s}.zero-out`;
    await natsHandles(w.store).jsm.streams.add({ name: `${STREAM}_ZERO`, subjects: [subject] });
    const seen = new Set<number>();
    w.nc.subscribe(out, { callback: (_e, m) => void seen.add((m.json() as { i: number }).i) });
    await putConfig(
      w,
      zero,
      "1",
      `input:\n  nats_jetstream:\n    urls: [ "\${NATS_URL}" ]\n    subject: ${subject}\n    durable: zero\n    deliver: all\n    max_ack_pending: 40\noutput:\n  nats:\n    urls: [ "\${NATS_URL}" ]\n    subject: ${out}\n`,
    );
    const scaleToZero = { min: 0, max: 2, targetPending: 300, cooldown: "10s" };
    const zeroStatus = async () => (await w.store.getStatus(zero))!;
    await putDefinition(w, {
      id: zero,
      status: "published",
      version: "1",
      replicas: 1,
      autoscale: scaleToZero,
    });
    clock = Date.now();
    await converge(deps, zero);
    await waitFor(
      async () => (await w.store.listHeartbeats(zero)).some((h) => h.heartbeat.lag?.pending === 0),
      "a heartbeat with no lag",
      30_000,
    );
    clock = Date.parse((await zeroStatus()).replicas!.changedAt) + 11_000;
    await converge(deps, zero);
    expect((await zeroStatus()).replicas).toMatchObject({
      desired: 0,
      reason: expect.stringMatching(/one step down/),
    });
    await waitFor(async () => (await w.executor.list(zero)).length === 0, "no replica left", 30_000);
    // idle at zero: nothing to read but the consumer, which has nothing: it stays at zero
    clock += 60_000;
    await converge(deps, zero);
    expect((await zeroStatus()).replicas).toMatchObject({ desired: 0, current: 0 });

    const js = jetstream(w.nc);
    await Promise.all(Array.from({ length: 500 }, (_, i) => js.publish(subject, JSON.stringify({ i }))));
    clock += 1_000;
    await converge(deps, zero);
    expect((await zeroStatus()).replicas).toMatchObject({
      desired: 2,
      reason: "pending 500 / targetPending 300 → 2: up",
    });
    await waitFor(async () => (await runningOf(zero)) === 2, "2 replicas running", 30_000);
    await waitFor(() => seen.size === 500, "every message delivered", 60_000);
    const records = (await readEvents(w.store, { pipeline: zero })).filter(
      (e) => e.record?.event.operation === "SCALE",
    );
    expect(records.map((e) => [e.record?.scale?.from, e.record?.scale?.to])).toEqual([
      [1, 0],
      [0, 2],
    ]);
    await putDefinition(w, { id: zero, status: "draft", version: "1", replicas: 1, autoscale: scaleToZero });
    await converge(deps, zero);
  }, 120_000);
});

async function runningOf(pipeline: string): Promise<number> {
  return (await w.executor.list(pipeline)).filter((e) => e.state === "running").length;
}
