// One real JetStream nats-server for the whole test run, on a free loopback port with a temp store.
// Test workers inherit NATS_URL. Tests isolate themselves with unique bucket names (see test/helpers/nats.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsServer } from "../../lib/local/nats-server";

export default async function setup() {
  const storeDir = mkdtempSync(join(tmpdir(), "reef-test-nats-"));
  // Every test store reserves its streams' max bytes (events 1 GiB, logs 256 MiB) though it writes
  // little: a store limit above the disk's lets the whole run's reservations fit.
  const configFile = join(storeDir, "test-server.conf");
  writeFileSync(configFile, "jetstream { max_file_store: 1T }\n");
  const server = await startNatsServer({ storeDir, configFile });
  process.env.NATS_URL = server.url;
  return async () => {
    await server.stop();
    rmSync(storeDir, { recursive: true, force: true });
  };
}
