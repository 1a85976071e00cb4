// The binary path: a Benthos-compatible engine (the fixture engine, serving Prometheus text in
// Benthos's format on the loopback port the runner gives it) under the process executor.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { converge } from "../../lib/converge";
import { convergeSettled } from "../helpers/converge";
import { waitFor } from "../helpers/nats";
import {
  openProcessWorld,
  putConfig,
  putDefinition,
  sampleConfig,
  type ProcessWorld,
} from "../helpers/pipelines";

let w: ProcessWorld;
beforeAll(async () => {
  w = await openProcessWorld({
    REEF_HEARTBEAT_INTERVAL: "1s",
    FAKE_ENGINE_MESSAGES: "200",
    REEF_EXECUTION_ENV: "FAKE_ENGINE_DIR,FAKE_ENGINE_MESSAGES",
  });
  w.deps.heartbeatIntervalMs = 1_000;
});
afterAll(() => w.destroy());

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;

it("maps the binary's Prometheus metrics into heartbeats and its output lines into PIPELINE_LOGS", async () => {
  const id = uid("bin");
  await putConfig(w, id, "1", sampleConfig("bin"));
  await putDefinition(w, { id, status: "published", version: "1" });
  expect((await convergeSettled(w.deps, id)).phase).toBe("running");
  // the runner started the engine with its HTTP server on a loopback port
  expect(await w.engineConfig(id, "bin")).toContain('"bin"');
  const hb = await waitFor(async () => {
    const e = await w.store.getHeartbeat(id, 0);
    return e?.heartbeat.counters.sent === 200 ? e.heartbeat : null;
  }, "a heartbeat with the binary's counters");
  expect(hb).toMatchObject({
    engine: "fake-engine.mjs",
    state: "running",
    counters: { received: 200, sent: 200, errors: 0 },
    latencyMs: { p50: 1.5, p99: 8 },
    inFlight: null,
    lag: null,
    lastError: null,
  });
  expect(hb.memoryBytes).toBeGreaterThan(0);
  const r = await converge(w.deps, id);
  expect(r.phase).toBe("running");
  expect((await w.store.getStatus(id))?.health).toMatchObject({ state: "healthy", replicasReporting: 1 });

  const line = await waitFor(async () => {
    for await (const l of w.store.readLogs({ pipeline: id }))
      if (l.message.includes("Input type generate is now active")) return l;
    return null;
  }, "the engine's log line in PIPELINE_LOGS");
  expect(line).toMatchObject({ level: "info", replica: 0 });
});

it("an engine whose output fails is degraded, with the error line it logged", async () => {
  const id = uid("binerr");
  const world = await openProcessWorld({
    REEF_HEARTBEAT_INTERVAL: "1s",
    FAKE_ENGINE_ERRORS: "5",
    REEF_EXECUTION_ENV: "FAKE_ENGINE_DIR,FAKE_ENGINE_ERRORS",
  });
  world.deps.heartbeatIntervalMs = 1_000;
  try {
    await putConfig(world, id, "1", sampleConfig("err"));
    await putDefinition(world, { id, status: "published", version: "1" });
    expect((await convergeSettled(world.deps, id)).phase).toBe("running");
    await waitFor(async () => {
      const e = await world.store.getHeartbeat(id, 0);
      return e && e.heartbeat.rates.errors > 0 && e.heartbeat.lastError;
    }, "a heartbeat with errors");
    await converge(world.deps, id);
    const health = (await world.store.getStatus(id))?.health;
    expect(health).toMatchObject({
      state: "degraded",
      lastError: { message: "Failed to send message to nats: nats: connection closed", component: "output" },
    });
    expect(health!.rates.errors).toBeGreaterThan(0);
  } finally {
    await world.destroy();
  }
});
