// Fault: the Docker daemon restarts while the bridge converges changes with the docker executor.
// A private dockerd (test/executors/docker/dockerd.ts) so the shared daemon is never restarted.
// Converges during the outage fail visibly and are retried; once the daemon is back everything
// is as desired: nothing lost, orphaned or doubled, and the running pipeline's container is back.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDockerExecutor,
  ensureLocalRunnerImage,
  type DockerExecutor,
} from "../../lib/executors/docker";
import { privateDockerd, privateDockerdUnavailable, type PrivateDockerd } from "../executors/docker/dockerd";
import { inCi } from "../helpers/docker";
import { openTestStore, uniqueSuffix, waitFor, type TestStore } from "../helpers/nats";
import {
  Changes,
  quietConfig,
  settleAndReport,
  snapshotHealthy,
  startBridgeProcess,
  worldEnv,
  type BridgeProcess,
  type World,
} from "./world";

const unavailable = privateDockerdUnavailable();
if (unavailable) {
  if (inCi())
    throw new Error(`fault scenario "dockerd restart": ${unavailable}; in CI that is a failure, not a skip`);
  console.warn(`fault scenario "dockerd restart" skipped: ${unavailable}`);
}

describe.skipIf(unavailable !== null)("dockerd restart", () => {
  let daemon: PrivateDockerd;
  let t: TestStore;
  let world: World;
  let executor: DockerExecutor;
  let bridge: BridgeProcess | undefined;

  beforeAll(async () => {
    daemon = privateDockerd(mkdtempSync(join(tmpdir(), "reef-fault-dockerd-")));
    await daemon.start();
    t = await openTestStore();
    world = worldEnv(process.env.NATS_URL!, {
      ...t.env,
      ...daemon.env,
      REEF_EXECUTOR: "docker",
      REEF_ENGINE: "builtin",
      REEF_DOCKER_SCOPE: `fault-${uniqueSuffix()}`,
      REEF_STOP_TIMEOUT: "2",
      REEF_BRIDGE_DURABLE: "fault-dockerd",
    });
    await ensureLocalRunnerImage({ env: world.env });
    executor = createDockerExecutor(world.env);
  }, 120_000);

  afterAll(async () => {
    await bridge?.stop("SIGKILL");
    await daemon?.destroy();
    await t?.close();
    world?.cleanup();
  }, 60_000);

  it("dockerd restart during converges: nothing lost, orphaned or doubled", async () => {
    const store = t.store;
    const changes = new Changes(() => store);
    const ids = Array.from({ length: 6 }, (_, i) => `dockerd-${i}`);
    const healthyIds = ["dockerd-healthy"];
    for (const id of [...ids, ...healthyIds]) await store.putConfig(id, "1", quietConfig(id));
    for (const id of healthyIds)
      await store.putDefinition(id, JSON.stringify({ id, status: "published", version: "1" }));
    bridge = startBridgeProcess(world.env);
    await waitFor(
      async () => (await store.getStatus(healthyIds[0]!))?.phase === "running",
      "healthy running",
      90_000,
    );
    // the container survives the restart (restart policy unless-stopped): same id, running again
    const healthy = await snapshotHealthy(executor, healthyIds, (e) => e.id);

    const rounds = [
      { status: "published", version: "1" },
      { status: "paused", version: "1" },
      { status: "published", version: "1" },
      { status: "draft" },
    ];
    // half the pipelines end published, the others as the last round says (a few deleted)
    const last = (i: number) => (i % 2 === 0 ? rounds[0]! : i === 5 ? "deleted" : rounds[3]!);
    let restartedAfter = -1;
    for (let round = 0; round < rounds.length; round++) {
      await Promise.all(
        ids.map((id, i) => {
          const def = round === rounds.length - 1 ? last(i) : rounds[round]!;
          return def === "deleted" ? changes.delete(id) : changes.put(id, def);
        }),
      );
      if (round === 0) {
        await waitFor(() => bridge!.handled() >= 2, "some changes handled", 90_000);
        restartedAfter = bridge.handled();
        await daemon.stop();
        await daemon.start();
      }
    }
    expect(restartedAfter).toBeGreaterThanOrEqual(2);

    await settleAndReport(
      {
        scenario: "dockerd restart during converges",
        store,
        executor,
        changes,
        healthy,
        identify: (e) => e.id,
        notes: [`dockerd restarted after ${restartedAfter} handled changes, with more being made`],
      },
      150_000,
    );
    expect(bridge.child.exitCode).toBeNull();
  }, 300_000);
});
