// Dry-run replay over a real recorded history: publish v1 → v2 → pause → draft (→ publish v2 again,
// so "now" is not empty), each converged with the process executor and recorded as the bridge does.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dryRunStep,
  liveStep,
  runReplay,
  selectEvents,
  selectHistory,
  dryRunText,
  type DryRunStep,
} from "../../lib/replay";
import { InProcessInvoker } from "../../lib/invoke";
import { appendEvent, readEvents } from "../../lib/store";
import {
  openProcessWorld,
  putConfig,
  putDefinition,
  sampleConfig,
  type ProcessWorld,
} from "../helpers/pipelines";
import { changeEventFor, fakeRecord, handleAndRecord } from "./helpers";

let w: ProcessWorld;
beforeAll(async () => {
  w = await openProcessWorld({ REEF_EXECUTOR: "process" });
});
afterAll(() => w.destroy());

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;

async function change(id: string, def: Record<string, unknown> | "delete") {
  if (def === "delete") await w.store.deleteDefinition(id);
  else await putDefinition(w, { id, ...(def as { status: string }) });
  return handleAndRecord(w.deps, await changeEventFor(w.store, id));
}

const dryDeps = () => ({ store: w.store, listNow: (id: string) => w.executor.list(id) });

describe("dry-run replay", () => {
  it("plans each step of publish v1 → v2 → pause → draft against now and then, touching nothing", async () => {
    const id = uid("seq");
    await putConfig(w, id, "1", sampleConfig("v1"));
    await putConfig(w, id, "2", sampleConfig("v2"));
    const recorded = [
      await change(id, { status: "published", version: "1" }),
      await change(id, { status: "published", version: "2" }),
      await change(id, { status: "paused", version: "2" }),
      await change(id, { status: "draft", version: "2" }),
    ];
    expect(recorded.map((r) => r.record!.result!.phase)).toEqual(["running", "running", "stopped", "absent"]);
    // now: v2 runs again (a fifth change), so plans against "now" differ from plans against "then"
    await change(id, { status: "published", version: "2" });
    const [running] = await w.executor.list(id);
    expect(running).toMatchObject({ version: "2", state: "running" });

    const before = {
      executions: await w.executor.list(id),
      status: await w.store.getStatus(id),
      events: (await readEvents(w.store, { pipeline: id })).length,
    };
    const items = (await selectEvents(w.store, { pipeline: id })).slice(0, 4);
    const run = await runReplay(items, (i) => dryRunStep(dryDeps(), i));
    const steps = run.steps;
    const ex = `reef-${id}-0`;

    const summary = (s: DryRunStep) => ({
      desired: s.desired?.kind,
      then: s.then?.actions,
      now: s.now?.actions,
      recorded: s.recorded?.actions,
      notes: s.notes,
    });
    expect(steps.map(summary)).toEqual([
      {
        desired: "published",
        then: [`start ${id}#0 v1`],
        now: [`remove ${id}#0 v2 (${ex})`, `start ${id}#0 v1`],
        recorded: [`start ${id}#0 v1`],
        notes: [],
      },
      {
        desired: "published",
        then: [`remove ${id}#0 v1 (${ex})`, `start ${id}#0 v2`],
        now: [],
        recorded: [`remove ${id}#0 v1 (${ex})`, `start ${id}#0 v2`],
        notes: [],
      },
      {
        desired: "paused",
        then: [`stop ${id}#0 v2 (${ex})`],
        now: [`stop ${id}#0 v2 (${ex})`],
        recorded: [`stop ${id}#0 v2 (${ex})`],
        notes: [],
      },
      {
        desired: "draft",
        then: [`remove ${id}#0 v2 (${ex})`],
        now: [`remove ${id}#0 v2 (${ex})`],
        recorded: [`remove ${id}#0 v2 (${ex})`],
        notes: [],
      },
    ]);
    // "then" was planned against the recorded executions, "now" against the live ones
    expect(steps[1].then!.observed).toEqual([expect.objectContaining({ version: "1", state: "running" })]);
    expect(steps[3].then!.observed).toEqual([expect.objectContaining({ version: "2", state: "stopped" })]);
    expect(steps[0].now!.observed).toEqual([expect.objectContaining({ version: "2", state: "running" })]);
    // the definition as of each revision, not the current one
    expect(steps.map((s) => [s.definition?.status, s.definition?.version])).toEqual([
      ["published", "1"],
      ["published", "2"],
      ["paused", "2"],
      ["draft", "2"],
    ]);

    // nothing was touched
    expect(await w.executor.list(id)).toEqual(before.executions);
    expect(await w.store.getStatus(id)).toEqual(before.status);
    expect(await readEvents(w.store, { pipeline: id })).toHaveLength(before.events);
  });

  it("says clearly when the revision or the config it needs was removed", async () => {
    const id = uid("gone");
    await putConfig(w, id, "1", sampleConfig("v1"));
    await putConfig(w, id, "2", sampleConfig("v2"));
    await change(id, { status: "published", version: "1" });
    await change(id, { status: "published", version: "2" });
    // the config of v1 disappears (an operator cleaned up the object store)
    await w.store.deleteConfig(id, "1");
    let steps = (
      await runReplay(await selectEvents(w.store, { pipeline: id }), (i) => dryRunStep(dryDeps(), i))
    ).steps;
    expect(steps[0].desired).toMatchObject({ kind: "invalid", error: { code: "CONFIG_NOT_FOUND" } });
    expect(steps[0].notes).toEqual([
      expect.stringMatching(new RegExp(`config ${id}/1 was removed after this event`)),
    ]);
    expect(steps[1].notes).toEqual([]);

    // a purge removes the key's KV history: the revisions are gone
    await w.store.purgeDefinition(id);
    await change(id, "delete"); // the purge's own change is recorded too (as a DEL of a purged key)
    steps = (await runReplay(await selectEvents(w.store, { pipeline: id }), (i) => dryRunStep(dryDeps(), i)))
      .steps;
    expect(steps[0].definition).toBeNull();
    expect(steps[0].notes).toEqual([
      expect.stringMatching(/revision \d+ of .* was already removed from the KV history/),
    ]);
    expect(steps[1].notes[0]).toMatch(/already removed from the KV history/);
  });

  it("notes when converge acted on a newer revision, and when a change was not handled at all", async () => {
    const id = uid("newer");
    await putConfig(w, id, "1", sampleConfig("v1"));
    await putDefinition(w, { id, status: "published", version: "1" });
    const first = await changeEventFor(w.store, id);
    await putDefinition(w, { id, status: "draft", version: "1" }); // arrives before the bridge handles `first`
    await handleAndRecord(w.deps, first); // level-triggered: acts on the draft
    await appendEvent(w.store, {
      event: await changeEventFor(w.store, id),
      outcome: "failed",
      error: { code: "INVOKE_FAILED", message: "converge timed out" },
      durationMs: 150_000,
      handledAt: new Date().toISOString(),
      attempts: 5,
    });
    const steps = (
      await runReplay(await selectEvents(w.store, { pipeline: id }), (i) => dryRunStep(dryDeps(), i))
    ).steps;
    expect(steps[0]).toMatchObject({
      desired: { kind: "published" },
      recorded: { revision: first.revision + 1 },
    });
    expect(steps[0].then!.actions).toEqual([`start ${id}#0 v1`]);
    expect(steps[0].notes).toEqual([
      expect.stringContaining(`converge acted on revision ${first.revision + 1}, not ${first.revision}`),
    ]);
    expect(steps[1]).toMatchObject({ desired: { kind: "draft" }, then: null, now: { actions: [] } });
    expect(steps[1].notes).toEqual([expect.stringContaining("not handled at the time (INVOKE_FAILED)")]);
  });

  it("replays every revision the KV history holds (--from-history), joined with the records", async () => {
    const id = uid("hist");
    await putConfig(w, id, "1", sampleConfig("v1"));
    await change(id, { status: "published", version: "1" });
    await putDefinition(w, { id, status: "paused", version: "1" }); // never handled: no record
    const items = await selectHistory(w.store, id);
    expect(items.map((i) => [i.event.operation, i.recorded ? "recorded" : "not recorded"])).toEqual([
      ["PUT", "recorded"],
      ["PUT", "not recorded"],
    ]);
    const steps = (await runReplay(items, (i) => dryRunStep(dryDeps(), i))).steps;
    expect(steps[1]).toMatchObject({
      desired: { kind: "paused" },
      then: null,
      now: { actions: [`stop ${id}#0 v1 (reef-${id}-0)`] },
    });
    expect(steps[1].notes).toEqual([expect.stringMatching(/never recorded/)]);
  });
});

describe("dry-run replay of a SCALE record", () => {
  const autoscale = { min: 1, max: 4, targetPending: 1000, cooldown: "10s" };
  const shared = (subject: string) =>
    `input:\n  nats_jetstream:\n    urls: [ "\${NATS_URL}" ]\n    subject: ${subject}\n    durable: work\noutput:\n  drop: {}\n`;

  async function scaleRecord(id: string, revision: number, to: number, at: number) {
    const base = fakeRecord(id, revision);
    return appendEvent(w.store, {
      ...base,
      event: { ...base.event, operation: "SCALE", timestamp: new Date(at).toISOString() },
      trigger: "autoscale",
      result: {
        ...base.result!,
        actions: Array.from({ length: to }, (_, r) => `start ${id}#${r} v1`),
        phase: "pending",
      },
      scale: {
        from: 1,
        to,
        reason: "recorded reason",
        lag: [{ at: at - 1_000, pending: 3_500 }],
        changedAt: null,
        now: at,
      },
      durationMs: 1,
      handledAt: new Date(at).toISOString(),
    });
  }

  /** A published pipeline with one replica and `autoscale`; its definition's revision. */
  async function publishScaled(id: string): Promise<number> {
    await putConfig(w, id, "1", shared(`replay.${id}`));
    return putDefinition(w, { id, status: "published", version: "1", replicas: 1, autoscale });
  }

  it("shows the decision then (made again from the record) and now (today's status and heartbeats), and plans with them", async () => {
    const id = uid("scaled");
    const revision = await publishScaled(id);
    const at = Date.now() - 60_000;
    await scaleRecord(id, revision, 4, at);

    const [item] = await selectEvents(w.store, { pipeline: id });
    expect(item.event.operation).toBe("SCALE");
    const step = await dryRunStep(dryDeps(), item);
    expect(step.scale).toEqual({
      recorded: { from: 1, to: 4, reason: "recorded reason" },
      then: { desired: 4, reason: "pending 3500 / targetPending 1000 → 4: up" },
      // no status, no heartbeat now: the starting count, and why
      now: { current: 1, desired: 1, reason: expect.stringMatching(/no fresh heartbeat/) },
    });
    expect(step.then!.actions).toEqual([0, 1, 2, 3].map((r) => `start ${id}#${r} v1`));
    expect(step.now!.actions).toEqual([`start ${id}#0 v1`]);
    expect(step.notes).toEqual([]);
    const text = dryRunText(step);
    expect(text).toContain(`#${item.seq}  ${id}  SCALE rev ${revision}`);
    expect(text).toContain("scaled then: 1 → 4 (recorded reason)");
    expect(text).toContain("decided again from the record: 4 (pending 3500 / targetPending 1000 → 4: up)");
    expect(text).toMatch(/decision now: 1 → 1 \(no fresh heartbeat/);
    // nothing was touched
    expect(await w.executor.list(id)).toEqual([]);
    expect(await w.store.getStatus(id)).toBeNull();
  });

  it("notes when the decision made again differs from the one recorded", async () => {
    const id = uid("scaled");
    const revision = await publishScaled(id);
    await scaleRecord(id, revision, 2, Date.now() - 60_000);
    const step = await dryRunStep(dryDeps(), (await selectEvents(w.store, { pipeline: id }))[0]);
    expect(step.scale?.then?.desired).toBe(4);
    expect(step.notes).toEqual([
      expect.stringMatching(/made again from the record wants 4, not the 2 recorded/),
    ]);
  });
});

describe("live replay (in-process target)", () => {
  it("a deleted pipeline's publish event converges to the current state: nothing is resurrected", async () => {
    const id = uid("del");
    await putConfig(w, id, "1", sampleConfig("v1"));
    await change(id, { status: "published", version: "1" });
    expect(await w.executor.list(id)).toHaveLength(1);
    await change(id, "delete");
    expect(await w.executor.list(id)).toEqual([]);
    const [publish] = await selectEvents(w.store, { pipeline: id });
    expect(publish.event.operation).toBe("PUT");

    const step = await liveStep(new InProcessInvoker(async () => w.deps), publish);
    expect(step.error).toBeNull();
    expect(step.result).toMatchObject({
      desired: "deleted",
      operation: "DEL",
      actions: [],
      phase: "deleted",
    });
    expect(await w.executor.list(id)).toEqual([]);
    expect(await w.store.getStatus(id)).toBeNull();
    expect(publish.recorded!.result).toMatchObject({ phase: "running", actions: [`start ${id}#0 v1`] }); // it did run once
  });

  it("stops between steps when aborted", async () => {
    const id = uid("abort");
    await putConfig(w, id, "1", sampleConfig("v1"));
    await change(id, { status: "draft", version: "1" });
    await change(id, { status: "draft", version: "1" });
    await change(id, { status: "draft", version: "1" });
    const items = await selectEvents(w.store, { pipeline: id });
    const ac = new AbortController();
    const run = await runReplay(items, (i) => dryRunStep(dryDeps(), i), {
      signal: ac.signal,
      onStep: (_s, p) => {
        if (p.done === 1) ac.abort();
      },
    });
    expect(run).toMatchObject({ aborted: true, total: 3 });
    expect(run.steps).toHaveLength(1);
  });
});
