// One real JetStream nats-server for the whole test run, on a free loopback port with a temp store.
// Test workers inherit NATS_URL. Tests isolate themselves with unique bucket names (see test/helpers/nats.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsServer } from "../../lib/local/nats-server";

export default async function setup() {
  const storeDir = mkdtempSync(join(tmpdir(), "reef-test-nats-"));
  const server = await startNatsServer({ storeDir });
  process.env.NATS_URL = server.url;
  return async () => {
    await server.stop();
    rmSync(storeDir, { recursive: true, force: true });
  };
}
