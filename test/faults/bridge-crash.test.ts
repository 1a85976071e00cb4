// Fault: the bridge is SIGKILLed in the middle of a burst of 200 definition changes and started
// again. Every pipeline ends in the state of its last definition, every change is acked, nothing is
// orphaned or doubled, and the pipelines that were running before are left alone.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createProcessExecutor } from "../../lib/executors/process";
import { openTestStore, waitFor, type TestStore } from "../helpers/nats";
import {
  Changes,
  processIdentity,
  quietConfig,
  settleAndReport,
  snapshotHealthy,
  startBridgeProcess,
  worldEnv,
  type BridgeProcess,
  type World,
} from "./world";
import { natsHandles } from "../../lib/store/internal";

const PIPELINES = 40;
const ROUNDS = 5; // 200 changes

let t: TestStore;
let world: World;
const bridges: BridgeProcess[] = [];

beforeAll(async () => {
  t = await openTestStore();
  world = worldEnv(process.env.NATS_URL!, { ...t.env, REEF_BRIDGE_DURABLE: "fault-crash" });
});
afterAll(async () => {
  await Promise.all(bridges.map((b) => b.stop("SIGKILL")));
  await removeAll(world.env);
  await t?.close();
  world?.cleanup();
});

async function removeAll(env: Record<string, string>) {
  const executor = createProcessExecutor(env);
  for (const e of await executor.list()) await executor.remove(e);
}

type Step = "published" | "paused" | "draft" | "deleted";

/** The changes of pipeline i, round by round; few end published (each is a process pair). */
function steps(i: number): Step[] {
  const last: Step = i % 10 === 0 ? "published" : (["paused", "draft", "deleted"] as const)[i % 3];
  return ["draft", "paused", i % 7 === 0 ? "published" : "draft", "paused", last];
}

it("bridge SIGKILL mid-burst of 200 changes: nothing lost, orphaned or doubled", async () => {
  const executor = createProcessExecutor(world.env);
  const ids = Array.from({ length: PIPELINES }, (_, i) => `crash-${i}`);
  await Promise.all(ids.map((id) => t.store.putConfig(id, "1", quietConfig(id))));
  // healthy pipelines, running before the fault
  const healthyIds = ["crash-healthy-a", "crash-healthy-b"];
  const changes = new Changes(() => t.store);
  const first = startBridgeProcess(world.env);
  bridges.push(first);
  for (const id of healthyIds) {
    await t.store.putConfig(id, "1", quietConfig(id));
    await t.store.putDefinition(id, JSON.stringify({ id, status: "published", version: "1" }));
  }
  await waitFor(
    async () => {
      for (const id of healthyIds) if ((await t.store.getStatus(id))?.phase !== "running") return false;
      return true;
    },
    "healthy pipelines running",
    60_000,
  );
  const healthy = await snapshotHealthy(executor, healthyIds, processIdentity(world.stateDir));

  // The burst: round by round, every pipeline gets its next change (interleaved keys).
  const burst = (async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(
        ids.map((id, i) => {
          const step = steps(i)[round];
          return step === "deleted" ? changes.delete(id) : changes.put(id, { status: step, version: "1" });
        }),
      );
    }
  })();
  // SIGKILL while changes are being handled: some handled, the burst not all converged.
  await waitFor(() => first.handled() >= 10, "some changes handled", 60_000);
  await first.stop("SIGKILL");
  const handledBeforeKill = first.handled();
  await burst;
  expect(changes.made).toHaveLength(PIPELINES * ROUNDS);
  expect(handledBeforeKill).toBeLessThan(PIPELINES * ROUNDS);

  const second = startBridgeProcess(world.env);
  bridges.push(second);
  await settleAndReport(
    {
      scenario: "bridge SIGKILL mid-burst of 200 changes",
      store: t.store,
      executor,
      changes,
      healthy,
      identify: processIdentity(world.stateDir),
      notes: [`bridge SIGKILLed after ${handledBeforeKill} handled changes`],
    },
    120_000,
  );
  // every change acked: redelivered to the new bridge when the old one died holding it
  await waitFor(
    async () => {
      const info = await natsHandles(t.store).jsm.consumers.info(`KV_${t.names.pipelines}`, "fault-crash");
      return info.num_ack_pending === 0 && info.num_pending === 0;
    },
    "all changes acked",
    30_000,
  );
  expect(await second.stop("SIGTERM")).toBe(0); // drains and exits
}, 240_000);
