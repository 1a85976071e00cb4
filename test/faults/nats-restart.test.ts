// Fault: the nats-server restarts while the bridge converges a stream of changes. The bridge,
// the functions' connection and the executions reconnect; changes made around the restart all
// converge, nothing is orphaned or doubled, running pipelines keep running.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createProcessExecutor } from "../../lib/executors/process";
import { freePort, startNatsServer, type NatsServer } from "../../lib/local";
import { connectNats, Store } from "../../lib/store/internal";
import { uniqueNames, waitFor } from "../helpers/nats";
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

const storeDir = mkdtempSync(join(tmpdir(), "reef-fault-nats-"));
let server: NatsServer | undefined;
let world: World;
let bridge: BridgeProcess | undefined;

beforeAll(async () => {
  server = await startNatsServer({ port: await freePort(), storeDir });
});
afterAll(async () => {
  await bridge?.stop("SIGKILL");
  if (world) {
    const executor = createProcessExecutor(world.env);
    for (const e of await executor.list()) await executor.remove(e);
    world.cleanup();
  }
  await server?.stop();
  rmSync(storeDir, { recursive: true, force: true });
});

it("nats-server restart during converges: nothing lost, orphaned or doubled", async () => {
  const port = server!.port;
  const { names, env: namesEnv } = uniqueNames();
  world = worldEnv(server!.url, { ...namesEnv, NATS_URL: server!.url, REEF_BRIDGE_DURABLE: "fault-nats" });
  const nc = await connectNats({ name: "fault-nats", longRunning: true, env: { NATS_URL: server!.url } });
  try {
    const store = await Store.open(nc, { names });
    const executor = createProcessExecutor(world.env);
    const changes = new Changes(() => store);
    const ids = Array.from({ length: 10 }, (_, i) => `nats-${i}`);
    const healthyIds = ["nats-healthy-a", "nats-healthy-b"];
    for (const id of [...ids, ...healthyIds]) await store.putConfig(id, "1", quietConfig(id));
    for (const id of healthyIds)
      await store.putDefinition(id, JSON.stringify({ id, status: "published", version: "1" }));
    bridge = startBridgeProcess(world.env);
    await waitFor(
      async () => {
        for (const id of healthyIds) if ((await store.getStatus(id))?.phase !== "running") return false;
        return true;
      },
      "healthy pipelines running",
      60_000,
    );
    const healthy = await snapshotHealthy(executor, healthyIds, processIdentity(world.stateDir));

    const rounds: { status: string; version?: string }[] = [
      { status: "draft" },
      { status: "published", version: "1" },
      { status: "paused", version: "1" },
      { status: "published", version: "1" },
      { status: "draft" },
    ];
    // a pipeline ends published when its index is even: each is a runner (and its engine)
    const defFor = (round: number, i: number) =>
      round === rounds.length - 1 && i % 2 === 0 ? { status: "published", version: "1" } : rounds[round]!;
    let restartedAfter = -1;
    for (let round = 0; round < rounds.length; round++) {
      await Promise.all(ids.map((id, i) => changes.put(id, defFor(round, i))));
      if (round === 1) {
        // restart while the bridge is converging the first rounds
        await waitFor(() => bridge!.handled() >= 5, "some changes handled", 60_000);
        await server!.stop();
        server = await startNatsServer({ port, storeDir });
        restartedAfter = bridge!.handled();
      }
    }
    expect(restartedAfter).toBeGreaterThanOrEqual(5);

    await settleAndReport(
      {
        scenario: "nats-server restart during converges",
        store,
        executor,
        changes,
        healthy,
        identify: processIdentity(world.stateDir),
        notes: [`nats-server restarted after ${restartedAfter} handled changes, with more being made`],
      },
      120_000,
    );
    expect(bridge.child.exitCode).toBeNull(); // the bridge rode it out
  } finally {
    await nc.close();
  }
}, 240_000);
