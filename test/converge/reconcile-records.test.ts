// The history has no holes: what the reconcile does is recorded in the events stream like a change
// the bridge handled — changes made while no bridge ran, orphans removed, drift repaired — hash-
// chained and replayable; a reconcile that finds nothing to do records nothing.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { applyPlan, reconcile } from "../../lib/converge";
import { dryRunStep, selectEvents } from "../../lib/replay";
import { readEvents, verifyChains, type EventRecord } from "../../lib/store";
import { convergeSettled } from "../helpers/converge";
import {
  openProcessWorld,
  putConfig,
  putDefinition,
  sampleConfig,
  type ProcessWorld,
} from "../helpers/pipelines";

let w: ProcessWorld;
beforeAll(async () => {
  w = await openProcessWorld();
});
afterAll(() => w.destroy());

const startingOrRunning = expect.stringMatching(/^(pending|running)$/);
const uid = (what: string) => `${what}-${randomBytes(3).toString("hex")}`;

async function records(id: string): Promise<EventRecord[]> {
  return (await readEvents(w.store, { pipeline: id })).map((e) => e.record!);
}

it("records what the reconcile did, and only that; each record replays", async () => {
  const [early, earlyDraft, orphan, drifted, steady] = ["early", "draft", "orphan", "drift", "steady"].map(
    uid,
  );
  for (const id of [early, orphan, drifted, steady]) await putConfig(w, id, "1", sampleConfig(id));
  // converged (as by a bridge, which records itself) before the reconcile runs
  for (const id of [orphan, drifted, steady]) {
    await putDefinition(w, { id, status: "published", version: "1" });
    expect((await convergeSettled(w.deps, id)).phase).toBe("running");
  }
  // changes made while no bridge runs (as `reef apply` + `reef publish` right after the first npm start)
  const earlyRevision = await putDefinition(w, { id: early, status: "published", version: "1" });
  await putDefinition(w, { id: earlyDraft, status: "draft" });
  // an orphan: its key purged by another client, its execution left running
  const [orphaned] = await w.executor.list(orphan);
  await w.store.purgeDefinition(orphan);
  // drift: an execution stopped behind reef's back
  const [execution] = await w.executor.list(drifted);
  await applyPlan(w.executor, {
    pipeline: drifted,
    target: { state: "stopped" },
    actions: [{ type: "stop", execution }],
  });

  const result = await reconcile(w.deps);
  expect(result.failures).toEqual([]);
  expect(result.orphans).toContain(orphan);

  const [earlyRec] = await records(early);
  expect(earlyRec).toMatchObject({
    trigger: "reconcile",
    outcome: "ok",
    event: { key: early, operation: "PUT", revision: earlyRevision },
    // what the reconcile saw when it wrote the record: the runner may not be up yet (converge does
    // not wait; it asks to be called again)
    result: { phase: startingOrRunning, actions: [`start ${early}#0 v1`] },
  });
  expect(await records(earlyDraft)).toMatchObject([
    { trigger: "reconcile", event: { operation: "PUT" }, result: { phase: "absent", actions: [] } },
  ]);
  expect(await records(orphan)).toMatchObject([
    {
      trigger: "reconcile",
      event: { operation: "PURGE" },
      result: { phase: "deleted", actions: [`remove ${orphan}#0 v1 (${orphaned.id})`] },
    },
  ]);
  expect(await w.executor.list(orphan)).toEqual([]);
  expect(await records(drifted)).toMatchObject([
    {
      trigger: "reconcile",
      result: { phase: startingOrRunning, actions: [expect.stringMatching(/^resume /)] },
    },
  ]);
  expect(await records(steady)).toEqual([]); // nothing to do, nothing recorded

  // a second reconcile finds everything as desired: no new record anywhere
  const before = (await readEvents(w.store)).length;
  expect((await reconcile(w.deps)).failures).toEqual([]);
  expect((await readEvents(w.store)).length).toBe(before);

  expect((await verifyChains(w.store)).ok).toBe(true);
  // …and each record replays: the plan "then" is what the reconcile did
  for (const id of [early, earlyDraft, orphan, drifted]) {
    const [item] = await selectEvents(w.store, { pipeline: id });
    const step = await dryRunStep({ store: w.store, listNow: (p) => w.executor.list(p) }, item);
    expect(step.recorded?.trigger, id).toBe("reconcile");
    expect(step.then?.actions, id).toEqual(item.recorded!.result!.actions);
  }
}, 60_000);
