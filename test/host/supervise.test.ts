// `npm start` with REEF_EXECUTOR=host: the local stack's supervisor runs REEF_HOSTS reef hosts
// (local-0, local-1, …), restarts one that dies, and stops them all gracefully (they leave the
// hosts bucket). Real `node dist/runner.mjs host` processes on the test nats-server.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { superviseHosts, type HostSupervisor } from "../../lib/local/hosts";
import { openHostWorld, type HostWorld } from "../helpers/hosts";
import { waitFor } from "../helpers/nats";

let w: HostWorld;
let logDir: string;
let supervisor: HostSupervisor | undefined;
const said: string[] = [];

beforeAll(async () => {
  w = await openHostWorld();
  logDir = mkdtempSync(join(tmpdir(), "reef-hosts-"));
}, 60_000);
afterAll(async () => {
  await supervisor?.stop();
  await w?.destroy();
  if (logDir) rmSync(logDir, { recursive: true, force: true });
}, 60_000);

const host = async (id: string) => (await w.buckets.liveHosts()).find((h) => h.id === id);

it("runs REEF_HOSTS hosts, restarts one that dies, and stops them so they leave", async () => {
  supervisor = superviseHosts({
    count: 2,
    runnerPath: resolve("dist/runner.mjs"),
    env: w.env,
    logDir,
    own: () => undefined,
    release: () => undefined,
    say: (line) => said.push(line),
    stopTimeoutMs: 5_000,
  });
  await waitFor(
    async () => (await host("local-0")) && (await host("local-1")),
    "both hosts registered",
    30_000,
  );

  const before = (await host("local-1"))!.pid;
  process.kill(before, "SIGKILL");
  await waitFor(
    async () => ((await host("local-1"))?.pid ?? before) !== before,
    `local-1 restarted (${said.join(" | ")})`,
    30_000,
  );
  expect(said.some((l) => /local-1 exited \(SIGKILL\); restarting/.test(l))).toBe(true);
  expect((await host("local-0"))?.pid).toBeDefined();

  await supervisor.stop();
  supervisor = undefined;
  // Graceful: each host drained and deleted its entry (no waiting for its TTL).
  expect((await w.buckets.liveHosts()).filter((h) => h.id.startsWith("local-"))).toEqual([]);
}, 90_000);
