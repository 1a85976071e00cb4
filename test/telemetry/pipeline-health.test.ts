// Telemetry end to end (CONTRACT.md §6): real nats-server, real runner processes (process executor,
// built-in engine), the bridge with the in-process invoker. Heartbeats every 1 s.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument, routes, type RouteContext } from "../../lib/api";
import { Bridge, type BridgeConfig } from "../../lib/bridge";
import { Pipelines } from "../../lib/pipelines";
import { InProcessInvoker } from "../../lib/invoke";
import type { PipelineStatus } from "../../lib/model";
import { waitFor } from "../helpers/nats";
import { openProcessWorld, putConfig, putDefinition, type ProcessWorld } from "../helpers/pipelines";
import { reef } from "../cli/helpers";

const INTERVAL_MS = 1_000;
const bridgeConfig: BridgeConfig = {
  stage: "test",
  region: "us-east-1",
  invoker: "in-process",
  concurrency: 8,
  durable: `telemetry-${randomBytes(3).toString("hex")}`,
  ackWaitMs: 10_000,
  maxAckPending: 1_000,
  maxAttempts: 3,
  retryBaseMs: 10,
  retryMaxMs: 100,
  convergeTimeoutMs: 30_000,
  reconcileTimeoutMs: 30_000,
  resyncIntervalMs: 0,
  drainTimeoutMs: 5_000,
};
const quiet = { info() {}, warn() {}, error() {} };

let w: ProcessWorld;
let bridge: Bridge;
beforeAll(async () => {
  w = await openProcessWorld({ REEF_ENGINE: "builtin", REEF_HEARTBEAT_INTERVAL: "1s" });
  w.deps.heartbeatIntervalMs = INTERVAL_MS;
  bridge = new Bridge({
    store: w.store,
    invoker: new InProcessInvoker(async () => w.deps),
    config: bridgeConfig,
    log: quiet,
    heartbeatIntervalMs: INTERVAL_MS,
  });
  bridge.start();
});
afterAll(async () => {
  await bridge?.stop();
  await w?.destroy();
});

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;

function natsConfig(id: string, mapping: string, extra = ""): string {
  return `input:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: in.${id}
pipeline:
  processors:
${extra}    - mapping: |
        ${mapping}
output:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: out.${id}
`;
}

async function status(id: string): Promise<PipelineStatus | null> {
  return w.store.getStatus(id);
}

function healthIs(id: string, state: string) {
  return async () => {
    const s = await status(id);
    return s?.health?.state === state ? s : null;
  };
}

/** Publishes, then waits until the bridge converged it and the runner reports `running`. */
async function publish(id: string, config: string): Promise<void> {
  await putConfig(w, id, "1", config);
  await putDefinition(w, { id, status: "published", version: "1" });
  await waitFor(async () => (await status(id))?.phase === "running", `${id} running`, 20_000);
  await waitFor(
    async () => (await w.store.getHeartbeat(id, 0))?.heartbeat.state === "running",
    `${id}'s running heartbeat`,
  );
}

function runnerPid(id: string): number {
  const record = JSON.parse(readFileSync(join(w.stateDir, `reef-${id}-0.json`), "utf8")) as { pid: number };
  return record.pid;
}

describe("telemetry of a running pipeline", () => {
  const id = uid("moves");

  it("counts 200 messages in and 200 out, and its status says healthy", async () => {
    await publish(id, natsConfig(id, "root = this\n        root.seen = true"));
    let got = 0;
    const sub = w.nc.subscribe(`out.${id}`, { callback: () => void got++ });
    await w.nc.flush();
    for (let i = 0; i < 200; i++) w.nc.publish(`in.${id}`, JSON.stringify({ i }));
    await waitFor(() => got === 200, "200 messages out");
    sub.unsubscribe();
    const hb = await waitFor(async () => {
      const e = await w.store.getHeartbeat(id, 0);
      return e?.heartbeat.counters.sent === 200 ? e.heartbeat : null;
    }, "a heartbeat with 200 sent");
    expect(hb).toMatchObject({
      id,
      replica: 0,
      execution: `reef-${id}-0`,
      version: "1",
      engine: "builtin",
      state: "running",
      counters: { received: 200, sent: 200, errors: 0 },
      lag: null,
      lastError: null,
    });
    expect(hb.memoryBytes).toBeGreaterThan(0);
    expect(hb.latencyMs.p99).toBeGreaterThanOrEqual(hb.latencyMs.p50);
    const s = await waitFor(healthIs(id, "healthy"), "status health healthy");
    expect(s.health).toMatchObject({ replicasReporting: 1, lastError: null });
  });

  it("shows it on every surface: API health and /metrics (in the OpenAPI document), reef top, status, list", async () => {
    const pipelines = new Pipelines(w.store, { env: w.env });
    const route = (path: string) => routes.find((r) => r.path === path)!;
    const ctx = { pipelines, params: { id }, body: {}, query: {} } as unknown as RouteContext;
    const health = JSON.parse((await route("/pipelines/{id}/health").handle(ctx)).body as string);
    expect(health).toMatchObject({
      id,
      phase: "running",
      health: { state: "healthy", replicasReporting: 1 },
    });
    expect(health.replicas[0]).toMatchObject({
      replica: 0,
      counters: { received: 200, sent: 200, errors: 0 },
    });
    const metrics = await route("/metrics").handle(ctx);
    expect(metrics.headers?.["Content-Type"]).toMatch(/^text\/plain/);
    expect(metrics.body).toContain(`reef_messages_sent_total{pipeline="${id}",replica="0",version="1"} 200`);
    expect(metrics.body).toContain(`reef_pipeline_health{pipeline="${id}",state="healthy"} 1`);
    const doc = openApiDocument() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/metrics", "/pipelines/{id}/health"]));

    const top = await reef(["top", "--json"], { env: w.env });
    expect(top.code).toBe(0);
    const row = (JSON.parse(top.stdout) as { id: string }[]).find((r) => r.id === id);
    expect(row).toMatchObject({
      phase: "running",
      health: { state: "healthy" },
      replicas: { running: 1, reporting: 1 },
    });
    const st = await reef(["status", id], { env: w.env });
    expect(st.stdout).toMatch(/health=healthy in\/s=\S+ out\/s=\S+ err\/s=0/);
    const list = await reef(["list"], { env: w.env });
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+published\\s+1\\s+running\\s+healthy`));
  });

  it("SIGSTOP makes it unresponsive, SIGCONT healthy again (the executor still says running)", async () => {
    const pid = runnerPid(id);
    const stopped = Date.now();
    process.kill(pid, "SIGSTOP");
    try {
      const s = await waitFor(healthIs(id, "unresponsive"), "status health unresponsive", 20_000);
      console.log(`fault → unresponsive in status: ${Date.now() - stopped} ms (interval ${INTERVAL_MS} ms)`);
      expect(s.phase).toBe("running");
      expect(s.executions[0].state).toBe("running");
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await waitFor(healthIs(id, "healthy"), "status health healthy again", 20_000);
  });

  it("draft removes the heartbeat and makes the health unknown", async () => {
    await putDefinition(w, { id, status: "draft", version: "1" });
    const s = await waitFor(
      async () => {
        const st = await status(id);
        return st?.phase === "absent" ? st : null;
      },
      "phase absent",
      20_000,
    );
    expect(s.health?.state).toBe("unknown");
    expect(await w.store.listHeartbeats(id)).toEqual([]);
  });
});

it("a pipeline that throws on every message is degraded, with the error", async () => {
  const id = uid("throws");
  await publish(id, natsConfig(id, 'root = throw("cannot enrich " + this.i.string())'));
  const first = Date.now();
  const s = await waitFor(
    async () => {
      w.nc.publish(`in.${id}`, JSON.stringify({ i: 7 }));
      return healthIs(id, "degraded")();
    },
    "status health degraded",
    20_000,
  );
  console.log(`fault → degraded in status: ${Date.now() - first} ms (interval ${INTERVAL_MS} ms)`);
  expect(s.health!.rates.errors).toBeGreaterThan(0);
  expect(s.health!.lastError).toMatchObject({
    message: expect.stringContaining("cannot enrich 7"),
    component: "pipeline.processors.0",
    replica: 0,
  });
  const hb = (await w.store.getHeartbeat(id, 0))!.heartbeat;
  expect(hb.counters.errors).toBeGreaterThan(0);
});

it("publishes every log line to PIPELINE_LOGS; reef logs reads them from there", async () => {
  const id = uid("logs");
  const marker = `marker-${randomBytes(4).toString("hex")}`;
  await publish(
    id,
    natsConfig(
      id,
      "root = this",
      `    - log:\n        level: INFO\n        message: '${marker} \${! this.i }'\n`,
    ),
  );
  w.nc.publish(`in.${id}`, JSON.stringify({ i: 42 }));
  const line = await waitFor(async () => {
    for await (const l of w.store.readLogs({ pipeline: id })) if (l.message.includes(marker)) return l;
    return null;
  }, "the marker in PIPELINE_LOGS");
  expect(line).toMatchObject({ level: "info", replica: 0, message: expect.stringContaining(`${marker} 42`) });
  expect(Date.parse(line.time)).not.toBeNaN();

  const cli = await reef(["logs", id, "--since", "10m"], { env: w.env });
  expect(cli.code).toBe(0);
  expect(cli.stdout).toContain(`${marker} 42`);
  expect(cli.stdout).toContain("reef-runner: running");
  const json = await reef(["logs", id, "--json", "--replica", "0"], { env: w.env });
  const lines = json.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { message: string; replica: number });
  expect(lines.some((l) => l.message.includes(marker) && l.replica === 0)).toBe(true);
});
