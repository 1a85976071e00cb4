// The bridge survives a nats-server restart: the connection reconnects forever and the supervised
// consumer resumes; changes made after the restart are handled.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { Bridge, bridgeConfigFromEnv } from "../../lib/bridge";
import { InProcessInvoker } from "../../lib/invoke";
import { freePort, startNatsServer, type NatsServer } from "../../lib/local";
import { connectNats, Store } from "../../lib/store/internal";
import { uniqueNames, waitFor } from "../helpers/nats";
import { definition, FakeExecutor, memoryLog } from "./fakes";
import { natsHandles } from "../../lib/store/internal";

const dir = mkdtempSync(join(tmpdir(), "reef-bridge-restart-"));
let server: NatsServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("keeps handling changes across a nats-server restart", async () => {
  const port = await freePort();
  server = await startNatsServer({ port, storeDir: dir });
  const { names } = uniqueNames();
  const nc = await connectNats({ name: "restart-test", longRunning: true, env: { NATS_URL: server.url } });
  const store = await Store.open(nc, { names });
  const executor = new FakeExecutor();
  const log = memoryLog(); // (the Bridge logs consumer re-attachments here)
  const bridge = new Bridge({
    store,
    invoker: new InProcessInvoker(async () => ({ store, executor })),
    config: { ...bridgeConfigFromEnv({ REEF_RESYNC_INTERVAL: "0" }), durable: "restart", maxAttempts: 10 },
    log,
  });
  bridge.start();
  try {
    await waitFor(
      () => natsHandles(store).jsm.consumers.info(`KV_${names.pipelines}`, "restart"),
      "consumer",
    );
    await store.putDefinition("before", definition("before", "draft"));
    await waitFor(async () => (await store.getStatus("before"))?.phase === "absent", "before restart");

    await server.stop();
    server = await startNatsServer({ port, storeDir: dir });

    // the put itself may fail until the client has reconnected
    await waitFor(
      async () => Boolean(await store.putDefinition("after", definition("after", "draft"))),
      "put",
      20_000,
    );
    await waitFor(async () => (await store.getStatus("after"))?.phase === "absent", "after restart", 30_000);
    expect(nc.isClosed()).toBe(false);
  } finally {
    await bridge.stop();
    await nc.close();
  }
}, 90_000);
