// The executor contract, once, against every executor: process, docker (when a daemon answers) and
// ecs (behind the in-memory ECS). Each is driven the way converge drives it — plan() over what it
// lists, carried out by applyPlan() — through start, idempotence, labels, stop, resume, a version
// switch, adoption by a new instance and removal. Each executor joins by adding a harness.
import { rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyPlan, plan, type Desired } from "../../lib/converge";
import { createEcsExecutorWithClient, type EcsConfig } from "../../lib/executors/ecs";
import type { Executor } from "../../lib/executors";
import type { Execution } from "../../lib/model";
import { configDigest } from "../../lib/store";
import { dockerSkipReason } from "../helpers/docker";
import { waitFor } from "../helpers/nats";
import { openProcessWorld, putConfig, sampleConfig } from "../helpers/pipelines";
import { openHostWorld } from "../helpers/hosts";
import { fakeEngineBind, openDockerWorld } from "./docker/world";
import { FakeEcs, TEST_ECS_CONFIG } from "./ecs/fake-ecs";
import type { TestStore } from "../helpers/nats";

interface World {
  store: TestStore;
  /** The executor under test. */
  executor: Executor;
  /** Another instance over the same executions (a restarted control plane). */
  fresh(): Executor | Promise<Executor>;
  /** Lets the runtime move on (ECS starts and stops tasks); real runtimes move by themselves. */
  arrive(): void;
  /** Whether one stopped execution stands for the whole set (an ECS service scaled to 0). */
  stoppedAsOne: boolean;
  close(): Promise<void>;
}

interface Harness {
  name: string;
  /** Null when the suite can run here; else why not (printed). */
  skip: () => Promise<string | null>;
  open(): Promise<World>;
}

const ECS_CONFIG: EcsConfig = { ...TEST_ECS_CONFIG, cluster: "reef-contract" };

const harnesses: Harness[] = [
  {
    name: "process",
    skip: async () => null,
    async open() {
      const w = await openProcessWorld();
      return {
        store: w,
        executor: w.executor,
        fresh: () => w.newExecutor(),
        arrive() {},
        stoppedAsOne: false,
        close: () => w.destroy(),
      };
    },
  },
  {
    name: "docker",
    skip: () => dockerSkipReason("the executor contract suite (docker)"),
    async open() {
      const w = await openDockerWorld();
      const engine = fakeEngineBind();
      const env = { REEF_ENGINE: engine.path, REEF_DOCKER_BINDS: engine.bind };
      return {
        store: w,
        executor: w.executorWith(env),
        fresh: () => w.executorWith(env),
        arrive() {},
        stoppedAsOne: false,
        async close() {
          await w.cleanup();
          await w.close();
          rmSync(engine.dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: "ecs",
    skip: async () => null,
    async open() {
      const w = await openProcessWorld(); // for its store; the executions are ECS services
      const ecs = new FakeEcs(ECS_CONFIG.cluster);
      const make = () =>
        createEcsExecutorWithClient(ecs.client, ECS_CONFIG, {
          env: w.env,
          now: ecs.clock.now,
          listCacheMs: 0,
          retry: { sleep: async () => {} },
        });
      return {
        store: w,
        executor: make(),
        fresh: make,
        arrive: () => ecs.settle(),
        stoppedAsOne: true,
        async close() {
          ecs.mock.restore();
          await w.destroy();
        },
      };
    },
  },
  {
    name: "host",
    skip: async () => null,
    async open() {
      const w = await openHostWorld();
      await w.startHost();
      await w.startHost();
      return {
        store: w,
        executor: w.executor,
        fresh: () => w.newExecutor(),
        arrive() {},
        stoppedAsOne: false,
        close: () => w.destroy(),
      };
    },
  },
];

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;
const identity = (e: Execution) => [e.pipeline, e.version, e.digest, e.replica];

for (const h of harnesses) {
  const skip = await h.skip();
  describe.skipIf(skip)(`executor contract: ${h.name}`, () => {
    let w: World;
    beforeAll(async () => {
      w = await h.open();
    }, 120_000);
    afterAll(() => w?.close(), 60_000);

    /** One step of converge without the status: plan what `desired` needs, carry it out. */
    async function drive(id: string, desired: Desired, executor = w.executor) {
      const thePlan = plan(id, desired, await executor.list(id));
      await applyPlan(executor, thePlan);
      return thePlan;
    }

    /** Drives until the executions are in `state` (the runtime moving in between), bounded. */
    async function reach(id: string, desired: Desired, state: Execution["state"]) {
      return waitFor(
        async () => {
          await drive(id, desired);
          w.arrive();
          const list = await w.executor.list(id);
          return list.length > 0 && list.every((e) => e.state === state) ? list : null;
        },
        `${id} ${state}`,
        60_000,
      );
    }

    async function published(id: string, version: string, replicas: number): Promise<Desired> {
      const yaml = sampleConfig(`${id}-${version}`);
      await putConfig(w.store, id, version, yaml);
      return { kind: "published", version, digest: configDigest(new TextEncoder().encode(yaml)), replicas };
    }

    it("start: every replica runs, labelled with pipeline, version, digest and replica", async () => {
      const id = uid("start");
      const v1 = await published(id, "1", 2);
      const first = await drive(id, v1);
      expect(first.actions.map((a) => a.type)).toEqual(["start", "start"]);
      const running = await reach(id, v1, "running");
      expect(running.map(identity).sort()).toEqual([
        [id, "1", (v1 as { digest: string }).digest, 0],
        [id, "1", (v1 as { digest: string }).digest, 1],
      ]);
      // list() without a pipeline sees them too, among others
      const all = await w.executor.list();
      expect(
        all
          .filter((e) => e.pipeline === id)
          .map((e) => e.id)
          .sort(),
      ).toEqual(running.map((e) => e.id).sort());
      await drive(id, { kind: "draft" });
    }, 120_000);

    it("idempotence: the same steps again change nothing, and a converged pipeline needs none", async () => {
      const id = uid("idem");
      const v1 = await published(id, "1", 1);
      const start = plan(id, v1, []);
      await applyPlan(w.executor, start);
      await applyPlan(w.executor, start); // a repeated (or concurrent) converge of a stale view
      const other = await w.fresh();
      await Promise.all([applyPlan(w.executor, start), applyPlan(other, start)]);
      const running = await reach(id, v1, "running");
      expect(running).toHaveLength(1);
      const again = plan(id, v1, await w.executor.list(id));
      expect(again.actions).toEqual([]);
      await applyPlan(w.executor, again);
      expect((await w.executor.list(id)).map((e) => e.id)).toEqual(running.map((e) => e.id));
      await drive(id, { kind: "draft" });
    }, 120_000);

    it("stop keeps the executions; resume runs the same ones again", async () => {
      const id = uid("pause");
      const v1 = await published(id, "1", 2);
      const running = await reach(id, v1, "running");
      const stopped = await reach(id, { kind: "paused", version: "1" }, "stopped");
      if (w.stoppedAsOne) expect(stopped).toHaveLength(1);
      else expect(stopped.map((e) => e.id).sort()).toEqual(running.map((e) => e.id).sort());
      const resumed = await reach(id, v1, "running");
      expect(resumed.map((e) => e.id).sort()).toEqual(running.map((e) => e.id).sort());
      await drive(id, { kind: "draft" });
    }, 120_000);

    it("a new version replaces every execution of the old one", async () => {
      const id = uid("switch");
      const v1 = await published(id, "1", 1);
      await reach(id, v1, "running");
      const v2 = await published(id, "2", 1);
      const running = await reach(id, v2, "running");
      expect(running.map((e) => e.version)).toEqual(["2"]);
      await drive(id, { kind: "draft" });
    }, 120_000);

    it("adoption: a new instance sees the same executions and carries on with them", async () => {
      const id = uid("adopt");
      const v1 = await published(id, "1", 1);
      const running = await reach(id, v1, "running");
      const fresh = await w.fresh();
      expect(await fresh.list(id)).toEqual(running);
      expect(plan(id, v1, await fresh.list(id)).actions).toEqual([]);
      await drive(id, { kind: "draft" }, fresh);
      w.arrive();
      expect(await w.executor.list(id)).toEqual([]);
    }, 120_000);

    it("remove leaves no execution behind, for any instance", async () => {
      const id = uid("remove");
      const v1 = await published(id, "1", 2);
      await reach(id, v1, "running");
      const removal = await drive(id, { kind: "draft" });
      expect(removal.actions.every((a) => a.type === "remove")).toBe(true);
      w.arrive();
      await waitFor(async () => (await w.executor.list(id)).length === 0, `${id} removed`, 30_000);
      expect(await (await w.fresh()).list(id)).toEqual([]);
      // removing what is gone already is no error
      await applyPlan(w.executor, removal);
    }, 120_000);
  });
}
