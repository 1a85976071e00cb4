// The bridge's side of autoscaling: its HealthMonitor, watching `pipeline-health` and
// `pipeline-status` on the real test nats-server, asks for a converge when the replica count the
// scaler would now want differs from the one status shows, and never for a paused pipeline.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Heartbeat, PipelineStatus } from "../../lib/model";
import { HealthMonitor } from "../../lib/telemetry";
import { openTestStore, waitFor, type TestStore } from "../helpers/nats";

let t: TestStore;
const abort = new AbortController();
const requests: { id: string; change: string }[] = [];

beforeAll(async () => {
  t = await openTestStore();
  void new HealthMonitor({
    store: t.store,
    intervalMs: 1_000,
    signal: abort.signal,
    log: { warn() {} },
    onChange: (id, _status, change) => void requests.push({ id, change }),
  }).start();
});
afterAll(async () => {
  abort.abort();
  await t?.close();
});

const autoscale = { min: 1, max: 4, targetPending: 100, cooldown: "10s" };

function status(id: string, desired: string): PipelineStatus {
  const now = new Date().toISOString();
  return {
    id,
    phase: desired === "paused" ? "stopped" : "running",
    desired,
    version: "1",
    revision: 1,
    executor: "process",
    executions: [
      { id: `reef-${id}-0`, state: desired === "paused" ? "stopped" : "running", version: "1", replica: 0 },
    ],
    error: null,
    replicas: { desired: 1, current: 1, reason: "", changedAt: now, autoscale },
    updatedAt: now,
  };
}

function heartbeat(id: string, pending: number): Heartbeat {
  const now = new Date().toISOString();
  return {
    id,
    replica: 0,
    execution: `reef-${id}-0`,
    version: "1",
    digest: "d",
    engine: "builtin",
    state: "running",
    startedAt: now,
    updatedAt: now,
    counters: { received: 1, sent: 1, errors: 0 },
    rates: { received: 1, sent: 1, errors: 0 },
    latencyMs: { p50: 1, p99: 1 },
    inFlight: 0,
    lag: { pending, ackPending: 0 },
    lastError: null,
    memoryBytes: 1,
  };
}

describe("the bridge's monitor and autoscaling", () => {
  it("a heartbeat with a backlog asks for a converge to the count the scaler wants", async () => {
    const id = `mon-${randomBytes(3).toString("hex")}`;
    await t.store.writeStatus(status(id, "published"));
    await t.store.putHeartbeat(heartbeat(id, 350));
    const req = await waitFor(
      () => requests.find((r) => r.id === id && r.change.includes("replicas")),
      "a converge request for the replica count",
    );
    expect(req.change).toContain("replicas 1 → 4");
  });

  it("a paused pipeline with the same backlog is never asked to scale", async () => {
    const id = `mon-${randomBytes(3).toString("hex")}`;
    await t.store.writeStatus(status(id, "paused"));
    await t.store.putHeartbeat(heartbeat(id, 350));
    // A published pipeline written after it is the witness that the monitor has looked at both.
    const witness = `mon-${randomBytes(3).toString("hex")}`;
    await t.store.writeStatus(status(witness, "published"));
    await t.store.putHeartbeat(heartbeat(witness, 350));
    await waitFor(() => requests.find((r) => r.id === witness), "the monitor to ask for the witness");
    expect(requests.filter((r) => r.id === id)).toEqual([]);
  });
});
