// Bridge throughput: 1,000 definitions published at once; time until all 1,000 statuses reflect them,
// with the bridge invoking (a) through serverless-offline and (b) in-process — each against a plain
// nats.js KV watcher reading the same 1,000 changes in the same run. Draft definitions: converge does
// its full read/plan/status work without starting processes. Reports, never asserts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { Bridge, bridgeConfigFromEnv } from "../../lib/bridge";
import { InProcessInvoker, LambdaInvoker, type Invoker } from "../../lib/invoke";
import type { Log } from "../../lib/model";
import { createProcessExecutor } from "../../lib/executors/process";
import { freePort, startNatsServer, startOffline } from "../../lib/local";
import { connectNats, Store, storeNamesFromEnv } from "../../lib/store/internal";
import { natsHandles } from "../../lib/store/internal";

const N = 1_000;
const WARMUP = 32;
const ROOT = resolve(import.meta.dirname, "../..");
const quiet: Log = { info() {}, warn() {}, error: (m, ...f) => console.error(m, ...f) };

/** Bucket names of one measurement, as the env that selects them (for the functions too). */
function names(tag: string): { env: Record<string, string> } {
  const s = `${tag}-${Math.random().toString(16).slice(2, 8)}`;
  return {
    env: {
      REEF_PIPELINES_BUCKET: `pipelines-${s}`,
      REEF_CONFIGS_BUCKET: `configs-${s}`,
      REEF_STATUS_BUCKET: `status-${s}`,
      REEF_EVENTS_STREAM: `EVENTS_${s.replace(/-/g, "_")}`,
      REEF_EVENTS_SUBJECT: `reef.events-${s}`,
      REEF_LEASES_BUCKET: `leases-${s}`,
    },
  };
}

/** Resolves with ms from `t0` when `count` distinct keys were seen by a watcher of `bucket`. */
async function watchKeys(
  nc: NatsConnection,
  bucket: string,
  prefix: string,
  count: number,
  t0: () => number,
) {
  const kv = await new Kvm(nc).open(bucket);
  const seen = new Set<string>();
  const w = await kv.watch(); // keys have no dots: no subject-prefix filter; filter by name
  return {
    done: (async () => {
      for await (const e of w) {
        if (e.key.startsWith(prefix)) seen.add(e.key);
        if (seen.size >= count) {
          w.stop();
          return performance.now() - t0();
        }
      }
      return NaN;
    })(),
    stop: () => w.stop(),
  };
}

/** Publishes `count` drafts named `<prefix><i>`; returns when the bridge made every status reflect them. */
async function round(
  store: Store,
  prefix: string,
  count: number,
): Promise<{ watcherMs: number; bridgeMs: number }> {
  let t0 = 0;
  const now = () => t0;
  // both watchers start before the burst: each sees the changes as they land
  const defs = await watchKeys(natsHandles(store).nc, store.names.pipelines, prefix, count, now);
  const statuses = await watchKeys(natsHandles(store).nc, store.names.status, prefix, count, now);
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      store.putDefinition(
        `${prefix}${i}`,
        JSON.stringify({ id: `${prefix}${i}`, status: "draft", version: "1" }),
      ),
    ),
  );
  const [watcherMs, bridgeMs] = await Promise.all([defs.done, statuses.done]);
  return { watcherMs, bridgeMs };
}

async function measure(label: string, nc: NatsConnection, env: Record<string, string>, invoker: Invoker) {
  const config = { ...bridgeConfigFromEnv({ ...env, REEF_RESYNC_INTERVAL: "0" }), durable: "bench" };
  const store = await Store.open(nc, { names: storeNamesFromEnv(env) });
  const bridge = new Bridge({ store, invoker, config, log: quiet });
  bridge.start();
  await round(store, "warm-", WARMUP); // worker threads / connections warmed up, consumer created
  await bridge.idle();
  const r = await round(store, "p-", N);
  await bridge.idle();
  const stats = bridge.stats;
  await bridge.stop();
  await invoker.close();
  console.log(
    `${label.padEnd(28)} bridge ${r.bridgeMs.toFixed(0).padStart(6)} ms (${((N / r.bridgeMs) * 1000).toFixed(0)} changes/s)` +
      `   plain KV watcher ${r.watcherMs.toFixed(0).padStart(5)} ms   ratio ${(r.bridgeMs / r.watcherMs).toFixed(1)}x` +
      `   invocations ${stats.invocations - WARMUP} for ${N} changes, failed ${stats.failed}`,
  );
}

export default async function bench(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "reef-bench-bridge-"));
  const server = await startNatsServer({ storeDir: join(tmp, "nats") });
  const stateDir = join(tmp, "state");
  const base = {
    NATS_URL: server.url,
    REEF_EXECUTOR: "process",
    REEF_STATE_DIR: stateDir,
    POWERTOOLS_LOG_LEVEL: "ERROR",
  };
  Object.assign(process.env, { NATS_URL: server.url });
  const nc = await connectNats({ name: "reef-bench" });
  const concurrency = Number(process.env.REEF_BRIDGE_CONCURRENCY) || 8;
  console.log(
    `${N} draft definitions published at once; bridge concurrency ${concurrency}; nats-server ${server.url}\n`,
  );
  try {
    // (a) through serverless-offline: the real functions, the Lambda Invoke API
    {
      const a = names("offline");
      const env = { ...base, ...a.env, PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };
      const work = `.reef/esbuild-bench-${Math.random().toString(16).slice(2, 8)}`;
      const offline = await startOffline({
        projectDir: ROOT,
        lambdaPort: await freePort(),
        httpPort: await freePort(),
        env: { ...env, REEF_ESBUILD_WORK_FOLDER: work, REEF_OFFLINE_WATCH: ".reef-no-watch" },
      });
      try {
        const config = bridgeConfigFromEnv({ ...env, REEF_LAMBDA_ENDPOINT: offline.lambdaEndpoint });
        await measure("(a) via serverless-offline", nc, env, new LambdaInvoker(config, env));
      } finally {
        await offline.stop();
        rmSync(join(ROOT, work), { recursive: true, force: true });
      }
    }
    // (b) in-process: lib/converge called directly, same store and executor kind
    {
      const b = names("inproc");
      const env = { ...base, ...b.env };
      const store = await Store.open(nc, { names: storeNamesFromEnv(env) });
      const executor = createProcessExecutor(env);
      const invoker = new InProcessInvoker(async () => ({ store, executor }));
      await measure("(b) in-process", nc, env, invoker);
    }
  } finally {
    await nc.close();
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
