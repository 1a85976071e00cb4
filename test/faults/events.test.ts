// Faults of delivery: change events duplicated and reordered (stale events arriving after newer
// ones, while changes keep coming), and 10 converges of one pipeline at once. converge is
// level-triggered and leased: every pipeline ends as its last definition says, never doubled.
import { afterEach, beforeEach, it } from "vitest";
import { converge, type ConvergeDeps } from "../../lib/converge";
import { createProcessExecutor, type ProcessExecutor } from "../../lib/executors/process";
import { InProcessInvoker } from "../../lib/invoke";
import type { ChangeEvent } from "../../lib/model";
import { convergeSettled, followRequeues } from "../helpers/converge";
import { openTestStore, type TestStore } from "../helpers/nats";
import {
  Changes,
  processIdentity,
  quietConfig,
  settleAndReport,
  snapshotHealthy,
  worldEnv,
  type World,
} from "./world";

let t: TestStore;
let world: World;
let deps: ConvergeDeps & { executor: ProcessExecutor };

// each scenario in a world of its own (buckets, executions)
beforeEach(async () => {
  t = await openTestStore();
  world = worldEnv(process.env.NATS_URL!, t.env);
  deps = { store: t.store, executor: createProcessExecutor(world.env) };
});
afterEach(async () => {
  const executor = deps.executor;
  for (const e of await executor.list()) await executor.remove(e);
  await t?.close();
  world?.cleanup();
});

/** A deterministic shuffle (no test depends on chance). */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function healthyPipelines(ids: string[]) {
  for (const id of ids) {
    await t.store.putConfig(id, "1", quietConfig(id));
    await t.store.putDefinition(id, JSON.stringify({ id, status: "published", version: "1" }));
    await convergeSettled(deps, id);
  }
  return snapshotHealthy(deps.executor, ids, processIdentity(world.stateDir));
}

it("duplicated and reordered events: every pipeline ends as its last definition says", async () => {
  const invoker = new InProcessInvoker(async () => deps); // what the bridge calls
  const healthy = await healthyPipelines(["order-healthy"]);
  const ids = ["order-a", "order-b", "order-c", "order-d"];
  for (const id of ids) for (const v of ["1", "2"]) await t.store.putConfig(id, v, quietConfig(`${id}-${v}`));
  const changes = new Changes(() => t.store);
  const script: { status: string; version?: string; replicas?: number }[] = [
    { status: "published", version: "1" },
    { status: "published", version: "2", replicas: 2 },
    { status: "paused", version: "2" },
    { status: "published", version: "1" },
    { status: "draft" },
    { status: "published", version: "2" },
  ];
  const events: ChangeEvent[] = [];
  const delivered: Promise<unknown>[] = [];
  for (const [round, def] of script.entries()) {
    for (const [i, id] of ids.entries()) {
      // the last pipeline ends deleted, the others as the script ends
      const revision =
        round === script.length - 1 && i === ids.length - 1
          ? await changes.delete(id)
          : await changes.put(id, def);
      const operation = round === script.length - 1 && i === ids.length - 1 ? "DEL" : "PUT";
      events.push({ key: id, operation, revision, timestamp: new Date().toISOString() });
    }
    // meanwhile: stale events, out of order, twice each, concurrently
    const stale = shuffled(events, round + 1).slice(0, 6);
    delivered.push(...[...stale, ...stale].map((e) => followRequeues(() => invoker.converge(e))));
  }
  await Promise.all(delivered);
  // at the end: every event once more, duplicated and shuffled, four at a time
  const replay = shuffled([...events, ...events], 99);
  for (let i = 0; i < replay.length; i += 4)
    await Promise.all(replay.slice(i, i + 4).map((e) => followRequeues(() => invoker.converge(e))));

  await settleAndReport({
    scenario: "duplicated and reordered events",
    store: t.store,
    executor: deps.executor,
    changes,
    healthy,
    identify: processIdentity(world.stateDir),
    notes: [`${events.length} events delivered ${delivered.length + replay.length} times, out of order`],
  });
}, 180_000);

it("10 concurrent converges of one pipeline: never more executions than replicas", async () => {
  const healthy = await healthyPipelines(["concurrent-healthy"]);
  const id = "concurrent";
  for (const v of ["1", "2"]) await t.store.putConfig(id, v, quietConfig(`${id}-${v}`));
  const changes = new Changes(() => t.store);
  const tenAtOnce = () =>
    Promise.all(Array.from({ length: 10 }, () => followRequeues(() => converge(deps, id))));
  let most = 0;
  const observe = async () => (most = Math.max(most, (await deps.executor.list(id)).length));
  for (const def of [
    { status: "published", version: "1", replicas: 3 },
    { status: "published", version: "2", replicas: 3 },
    { status: "paused", version: "2" },
  ]) {
    await changes.put(id, def);
    await tenAtOnce();
    await observe();
  }
  await settleAndReport({
    scenario: "10 concurrent converges of one pipeline",
    store: t.store,
    executor: deps.executor,
    changes,
    healthy,
    identify: processIdentity(world.stateDir),
    notes: [
      `3 changes × 10 concurrent converges; at most ${most} executions seen after a round (replicas 3)`,
    ],
  });
}, 180_000);
