// ECS tasks report like every execution (CONTRACT.md §6), but one task definition serves every
// replica, so a task is not told its replica number: its runner claims a heartbeat slot
// `<id>.<replica>` (the lowest free or stale one). The fake ECS (aws-sdk-client-mock) plays the
// service; the heartbeats go to the real test nats-server, written the way the runner writes them
// from the task definition's environment.
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { converge, type ConvergeDeps } from "../../../lib/converge";
import { createEcsExecutorWithClient } from "../../../lib/executors/ecs";
import { configDigest } from "../../../lib/store";
import { HeartbeatWriter, type ExecutionIdentity } from "../../../lib/telemetry";
import { openTestStore, waitFor, type TestStore } from "../../helpers/nats";
import { putConfig, putDefinition, sampleConfig } from "../../helpers/pipelines";
import { FakeEcs, TEST_ECS_CONFIG } from "./fake-ecs";

// Long enough that "still fresh" holds on a loaded machine; the stale wait is then ~3 s.
const INTERVAL_MS = 1_000;

let t: TestStore;
let ecs: FakeEcs;
let deps: ConvergeDeps;
const writers: HeartbeatWriter[] = [];

beforeAll(async () => {
  t = await openTestStore();
  ecs = new FakeEcs("reef-test");
  const env = { ...t.env, NATS_URL: "nats://127.0.0.1:4222", NATS_TOKEN: "s3cret", REEF_ENGINE: "auto" };
  const executor = createEcsExecutorWithClient(ecs.client, TEST_ECS_CONFIG, {
    env,
    retry: { sleep: async () => undefined },
    now: ecs.clock.now,
    listCacheMs: 0,
  });
  deps = { store: t.store, executor, heartbeatIntervalMs: INTERVAL_MS };
});
afterEach(async () => {
  await Promise.all(writers.splice(0).map((w) => w.close({ remove: false }).catch(() => undefined)));
});
afterAll(async () => {
  ecs?.mock.restore();
  await t?.close();
});

/** The task definition's container environment: what every task of the service starts with. */
function taskEnvironment(id: string): Record<string, string> {
  const def = [...ecs.taskDefs.values()].find((d) => d.family === `reef-${id}`)!;
  const container = def.input.containerDefinitions![0];
  return Object.fromEntries(container.environment!.map((e) => [e.name!, e.value!]));
}

/** A task's runner: its identity from the task environment, as lib/runner builds it. */
async function task(taskEnv: Record<string, string>, digest: string): Promise<HeartbeatWriter> {
  const replica = taskEnv.PIPELINE_REPLICA ? Number(taskEnv.PIPELINE_REPLICA) : undefined;
  const identity: ExecutionIdentity = {
    id: taskEnv.PIPELINE_ID,
    version: taskEnv.PIPELINE_VERSION,
    digest,
    replica: Number.isInteger(replica) ? replica : undefined,
    engine: "builtin",
  };
  const w = new HeartbeatWriter({ store: t.store, identity, intervalMs: INTERVAL_MS });
  writers.push(w);
  await w.start();
  return w;
}

describe("heartbeat slots of ECS tasks", () => {
  it("three tasks of one service claim replicas 0, 1 and 2, and status counts all three reporting", async () => {
    const id = `slots-${randomBytes(3).toString("hex")}`;
    await putConfig(t, id, "1", sampleConfig(id));
    await putDefinition(t, { id, status: "published", version: "1", replicas: 3 });
    const digest = configDigest((await t.store.getConfig(id, "1"))!.bytes);
    await converge(deps, id);
    ecs.settle();

    const taskEnv = taskEnvironment(id);
    expect(taskEnv).toMatchObject({ PIPELINE_ID: id, PIPELINE_VERSION: "1" });
    expect(taskEnv.PIPELINE_REPLICA).toBeUndefined(); // one task definition for every replica

    const tasks = await Promise.all([task(taskEnv, digest), task(taskEnv, digest), task(taskEnv, digest)]);
    expect(tasks.map((w) => w.replicaNumber).sort()).toEqual([0, 1, 2]);
    const keys = (await t.store.listHeartbeats(id)).map((h) => h.key);
    expect(keys).toEqual([`${id}.0`, `${id}.1`, `${id}.2`]);
    for (const h of await t.store.listHeartbeats(id)) {
      expect(h.heartbeat).toMatchObject({
        id,
        version: "1",
        digest,
        execution: `reef-${id}-${h.heartbeat.replica}`,
      });
    }

    const r = await converge(deps, id);
    expect(r.phase).toBe("running");
    expect((await t.store.getStatus(id))?.health).toMatchObject({ state: "healthy", replicasReporting: 3 });
  });

  it("a task replacing a dead one takes the dead one's slot once its heartbeat is stale, not before", async () => {
    const id = `reslot-${randomBytes(3).toString("hex")}`;
    await putConfig(t, id, "1", sampleConfig(id));
    await putDefinition(t, { id, status: "published", version: "1", replicas: 2 });
    const digest = configDigest((await t.store.getConfig(id, "1"))!.bytes);
    await converge(deps, id);
    ecs.settle();
    const taskEnv = taskEnvironment(id);

    const first = await task(taskEnv, digest);
    const second = await task(taskEnv, digest);
    expect([first.replicaNumber, second.replicaNumber]).toEqual([0, 1]);

    // the first task dies (killed: its heartbeat stays until the bucket's TTL)
    await first.close({ remove: false });
    // a replacement started while the dead one's heartbeat is still fresh does not take its slot…
    const early = await task(taskEnv, digest);
    expect(early.replicaNumber).toBe(2);
    await early.close({ remove: true });

    // …one started after 3 silent intervals does, while the live task keeps its own
    await waitFor(async () => {
      const h = await t.store.getHeartbeat(id, 0);
      return h && Date.now() - h.receivedAt > 3 * INTERVAL_MS + 50;
    }, "the dead task's heartbeat to go stale");
    const replacement = await task(taskEnv, digest);
    expect(replacement.replicaNumber).toBe(0);
    expect(second.replicaNumber).toBe(1);
    expect((await t.store.listHeartbeats(id)).map((h) => h.heartbeat.replica)).toEqual([0, 1]);
  });
});
