// Autoscaling (issue 15): the time to drain a 20,000-message JetStream backlog (20 ms sleep per
// message, 4 pipeline threads per replica) with a fixed single replica, and with autoscale
// (min 1, max 4, targetPending 2000, cooldown 10s), measured in the same run against the same
// nats-server, with the real bridge (heartbeat-driven converges, in-process invoker) and the process
// executor on the built-in engine. Time from writing the published definition to the last message
// delivered. BENCH_N overrides the backlog. Reports, never asserts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { applyPlan } from "../../lib/converge";
import { createProcessExecutor } from "../../lib/executors/process";
import { startNatsServer } from "../../lib/local/nats-server";
import { connectNats, Store } from "../../lib/store/internal";
import { natsHandles } from "../../lib/store/internal";
import {
  Deliveries,
  ISSUE_AUTOSCALE,
  ISSUE_BACKLOG,
  publishBacklog,
  running,
  Sampler,
  sleepConfig,
  startBridge,
} from "../helpers/autoscale";
import { uniqueNames } from "../helpers/nats";

const N = Number(process.env.BENCH_N ?? ISSUE_BACKLOG);
const HEARTBEAT_MS = 1_000;

export default async function autoscaleBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "reef-bench-autoscale-"));
  const nats = await startNatsServer({ storeDir: join(dir, "nats") });
  process.env.NATS_URL = nats.url;
  const { names, env: namesEnv } = uniqueNames();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...namesEnv,
    REEF_ENGINE: "builtin",
    REEF_STATE_DIR: join(dir, "state"),
    REEF_RUNNER_PATH: resolve("dist/runner.mjs"),
    REEF_HEARTBEAT_INTERVAL: `${HEARTBEAT_MS}ms`,
    REEF_STOP_TIMEOUT: "30",
  };
  const nc = await connectNats({ name: "reef-bench-autoscale", env });
  const store = await Store.open(nc, { names });
  const executor = createProcessExecutor(env);
  const bridge = startBridge(store, executor, HEARTBEAT_MS);
  console.log(
    `backlog ${N} messages, 20ms sleep, 4 threads per replica; autoscale ${JSON.stringify(ISSUE_AUTOSCALE)}; nats ${nats.url}`,
  );

  const drain = async (label: string, autoscale?: typeof ISSUE_AUTOSCALE) => {
    const id = `bench-${label}`;
    const subject = `bench.${label}.in`;
    const out = `bench.${label}.out`;
    await natsHandles(store).jsm.streams.add({ name: `BENCH_${label.toUpperCase()}`, subjects: [subject] });
    const deliveries = await Deliveries.start(nc, `BENCH_${label.toUpperCase()}_OUT`, out);
    await publishBacklog(nc, subject, 0, N);
    await store.putConfig(id, "1", new TextEncoder().encode(sleepConfig({ subject, out, durable: "work" })));
    const replicas = new Sampler(() => running(executor, id), 500);
    const t0 = performance.now();
    await store.putDefinition(
      id,
      JSON.stringify({ id, status: "published", version: "1", replicas: 1, autoscale }),
    );
    while (!deliveries.all(0, N)) await new Promise((r) => setTimeout(r, 100));
    const ms = performance.now() - t0;
    replicas.stop();
    deliveries.stop();
    await store.putDefinition(id, JSON.stringify({ id, status: "draft", version: "1", replicas: 1 }));
    while ((await executor.list(id)).length) await new Promise((r) => setTimeout(r, 200));
    console.log(
      `${label.padEnd(9)} ${(ms / 1000).toFixed(1).padStart(6)} s  ${((N / ms) * 1000).toFixed(0).padStart(5)} msg/s  up to ${replicas.max} replicas, ${deliveries.duplicates} duplicates`,
    );
    return ms;
  };

  try {
    const fixed = await drain("fixed");
    const scaled = await drain("autoscale", ISSUE_AUTOSCALE);
    console.log(
      `\nautoscale drains the backlog ${(fixed / scaled).toFixed(2)}x as fast as a fixed single replica (${(fixed / 1000).toFixed(1)} s → ${(scaled / 1000).toFixed(1)} s)`,
    );
  } finally {
    await bridge.stop();
    for (const e of await executor.list())
      await applyPlan(executor, {
        pipeline: e.pipeline,
        target: { state: "absent" },
        actions: [{ type: "remove", execution: e }],
      });
    await nc.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
