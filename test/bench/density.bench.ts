// Density: the same `nats → mapping → nats` pipelines on the process executor (one runner process
// each, built-in engine) and on the host executor (streams inside shared reef hosts), in one run,
// each driven by a real bridge (in-process invoker) as `npm start` drives them. Per side:
//   - the time from the last definition put to every status `running`;
//   - RSS per pipeline: the summed resident memory of the runners (process) or hosts (host), / N;
//   - converge p50/p99: every converge call the bridge made (changes and looks again);
//   - roundtrip p50 on a sample: one message in, its answer out, on warm pipelines.
// Knobs: BENCH_DENSITY_PROCESS (default 50), BENCH_DENSITY_HOST (1000), BENCH_DENSITY_HOSTS (2),
// BENCH_DENSITY_SAMPLE (20 pipelines), BENCH_DENSITY_TIMEOUT (seconds per side, 300).
// Reports, never asserts.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { NatsConnection } from "@nats-io/transport-node";
import { Bridge, bridgeConfigFromEnv } from "../../lib/bridge";
import { InProcessInvoker, type Invoker } from "../../lib/invoke";
import { startNatsServer } from "../../lib/local";
import { forEachBounded, type Log } from "../../lib/model";
import { openHostWorld } from "../helpers/hosts";
import { uniqueSuffix, waitFor, type TestStore } from "../helpers/nats";
import { openProcessWorld, putConfig, putDefinition } from "../helpers/pipelines";
import type { ConvergeDeps } from "../../lib/converge";
import { echoConfig, roundtrip } from "../host/echo";
import { natsHandles } from "../../lib/store/internal";

const quiet: Log = { info() {}, warn() {}, error: (m, ...f) => console.error(m, ...f) };

function knob(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Resident memory of a process and its descendants (Linux /proc), in bytes. */
function rssTree(pid: number): number {
  let kb = 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    kb = m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
  let total = kb * 1024;
  for (const task of readdirSync(`/proc/${pid}/task`, { withFileTypes: true })) {
    const children = readFileSync(`/proc/${pid}/task/${task.name}/children`, "utf8").trim();
    for (const c of children ? children.split(/\s+/) : []) total += rssTree(Number(c));
  }
  return total;
}

/** One message in on in.<id>, ms until its answer on out.<id> (the subscription is set up before). */
async function oneRoundtrip(nc: NatsConnection, id: string, body: string): Promise<number> {
  const sub = nc.subscribe(`out.${id}`, { max: 1 });
  await nc.flush();
  const t = performance.now();
  nc.publish(`in.${id}`, body);
  const timer = setTimeout(() => sub.unsubscribe(), 10_000);
  for await (const _ of sub) {
    clearTimeout(timer);
    return performance.now() - t;
  }
  throw new Error(`no answer on out.${id} within 10 s`);
}

interface Side {
  label: string;
  world: TestStore;
  deps: ConvergeDeps;
  env: Record<string, string>;
  /** Summed RSS of what runs the pipelines. */
  rss(): number;
}

interface Figures {
  label: string;
  n: number;
  allRunningMs: number;
  notRunning: Map<string, number>;
  rssPerPipeline: number;
  rssTotal: number;
  converge: number[];
  roundtrip: number[];
  deleteMs: number;
}

/** Times every converge call of the bridge. */
class TimedInvoker implements Invoker {
  readonly kind = "in-process" as const;
  readonly times: number[] = [];
  constructor(private readonly inner: InProcessInvoker) {}
  async converge(...args: Parameters<Invoker["converge"]>) {
    const t = performance.now();
    try {
      return await this.inner.converge(...args);
    } finally {
      this.times.push(performance.now() - t);
    }
  }
  reconcile(...args: Parameters<Invoker["reconcile"]>) {
    return this.inner.reconcile(...args);
  }
  close() {
    return this.inner.close();
  }
}

/** Phases of `ids` as the status bucket has them, kept current by a watch. */
async function watchPhases(world: TestStore, ids: Set<string>) {
  const phases = new Map<string, { phase: string; code?: string }>();
  const w = await natsHandles(world.store).status.watch();
  void (async () => {
    for await (const e of w) {
      if (!ids.has(e.key)) continue;
      if (e.operation !== "PUT") phases.delete(e.key);
      else {
        const s = e.json<{ phase: string; error: { code: string } | null }>();
        phases.set(e.key, { phase: s.phase, code: s.error?.code });
      }
    }
  })();
  return { phases, stop: () => w.stop() };
}

async function measure(side: Side, n: number, sampleSize: number, timeoutMs: number): Promise<Figures> {
  const { world, deps } = side;
  const run = uniqueSuffix();
  const ids = Array.from({ length: n }, (_, i) => `dn${i}-${run}`);
  const invoker = new TimedInvoker(new InProcessInvoker(async () => deps));
  const config = {
    ...bridgeConfigFromEnv({ ...side.env, REEF_RESYNC_INTERVAL: "0" }),
    durable: `bench-${run}`,
  };
  const bridge = new Bridge({ store: world.store, invoker, config, log: quiet });
  bridge.start();
  const watch = await watchPhases(world, new Set(ids));
  try {
    await forEachBounded(ids, 32, undefined, (id) => putConfig(world, id, "1", echoConfig(id, id)));
    await forEachBounded(ids, 32, undefined, async (id) => {
      await putDefinition(world, { id, status: "published", version: "1" });
    });
    const lastPut = performance.now();
    const running = () => [...watch.phases.values()].filter((p) => p.phase === "running").length;
    await waitFor(() => running() === n, `all ${n} running`, timeoutMs).catch(() => undefined);
    const allRunningMs = running() === n ? performance.now() - lastPut : NaN;
    const notRunning = new Map<string, number>();
    for (const id of ids) {
      const p = watch.phases.get(id);
      const what = p ? `${p.phase}${p.code ? ` ${p.code}` : ""}` : "no status";
      if (p?.phase !== "running") notRunning.set(what, (notRunning.get(what) ?? 0) + 1);
    }
    await bridge.idle();
    const rssTotal = side.rss();

    const sample = ids
      .filter((_, i) => i % Math.max(1, Math.floor(n / sampleSize)) === 0)
      .slice(0, sampleSize);
    const rt: number[] = [];
    for (const id of sample) {
      await roundtrip(world.nc, id, "warm"); // answered once: the stream is up
      for (let k = 0; k < 5; k++) rt.push(await oneRoundtrip(world.nc, id, `m${k}`));
    }
    const converges = invoker.times.slice().sort((a, b) => a - b);

    const t = performance.now();
    await forEachBounded(ids, 32, undefined, (id) => world.store.deleteDefinition(id));
    await waitFor(() => watch.phases.size === 0, "every status removed", timeoutMs).catch(() => undefined);
    const deleteMs = watch.phases.size === 0 ? performance.now() - t : NaN;
    return {
      label: side.label,
      n,
      allRunningMs,
      notRunning,
      rssTotal,
      rssPerPipeline: rssTotal / n,
      converge: converges,
      roundtrip: rt.sort((a, b) => a - b),
      deleteMs,
    };
  } finally {
    watch.stop();
    await bridge.stop();
  }
}

function report(f: Figures): void {
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  const ms = (x: number) => (Number.isNaN(x) ? "n/a" : `${x.toFixed(0)} ms`);
  const missing = [...f.notRunning].map(([k, v]) => `${v} ${k}`).join(", ");
  console.log(
    `${f.label.padEnd(22)} N=${String(f.n).padEnd(5)} all running ${ms(f.allRunningMs).padStart(9)}` +
      `   RSS/pipeline ${mb(f.rssPerPipeline).padStart(9)} (total ${mb(f.rssTotal)})` +
      `   converge p50 ${ms(pct(f.converge, 50))} p99 ${ms(pct(f.converge, 99))} (${f.converge.length} calls)` +
      `   roundtrip p50 ${pct(f.roundtrip, 50).toFixed(1)} ms (${f.roundtrip.length})` +
      `   delete all ${ms(f.deleteMs)}${missing ? `   NOT RUNNING: ${missing}` : ""}`,
  );
}

export default async function bench(): Promise<void> {
  const nProcess = knob("BENCH_DENSITY_PROCESS", 50);
  const nHost = knob("BENCH_DENSITY_HOST", 1_000);
  const hostCount = knob("BENCH_DENSITY_HOSTS", 2);
  const sampleSize = knob("BENCH_DENSITY_SAMPLE", 20);
  const timeoutMs = knob("BENCH_DENSITY_TIMEOUT", 300) * 1_000;
  const tmp = mkdtempSync(join(tmpdir(), "reef-bench-density-"));
  const server = await startNatsServer({ storeDir: join(tmp, "nats") });
  process.env.NATS_URL = server.url;
  const common = {
    REEF_EXECUTION_ENV: "NATS_URL",
    REEF_HEARTBEAT_INTERVAL: "5s",
    POWERTOOLS_LOG_LEVEL: "ERROR",
  };
  console.log(
    `nats → mapping → nats pipelines, a bridge converging in-process (concurrency ${process.env.REEF_BRIDGE_CONCURRENCY || 8}); ` +
      `process executor N=${nProcess} (built-in engine), host executor N=${nHost} on ${hostCount} hosts; sample ${sampleSize}\n`,
  );
  const results: Figures[] = [];
  try {
    {
      const pw = await openProcessWorld({ ...common, REEF_ENGINE: "builtin" });
      const side: Side = {
        label: "process",
        world: pw,
        deps: pw.deps,
        env: pw.env,
        rss: () => {
          let total = 0;
          for (const f of readdirSync(pw.stateDir).filter((x) => /^reef-.*-\d+\.json$/.test(x))) {
            const r = JSON.parse(readFileSync(join(pw.stateDir, f), "utf8")) as { pid: number | null };
            if (r.pid) total += rssTree(r.pid);
          }
          return total;
        },
      };
      try {
        results.push(await measure(side, nProcess, sampleSize, timeoutMs));
        report(results.at(-1)!);
      } finally {
        await pw.destroy();
      }
    }
    {
      const hw = await openHostWorld({ ...common, REEF_HOST_TTL: "10s" });
      try {
        for (let i = 0; i < hostCount; i++) await hw.startHost();
        const side: Side = {
          label: `host (${hostCount} hosts)`,
          world: hw,
          deps: { store: hw.store, executor: hw.executor, heartbeatIntervalMs: 5_000 },
          env: hw.env,
          rss: () => hw.hosts.reduce((sum, h) => sum + rssTree(h.child.pid!), 0),
        };
        results.push(await measure(side, nHost, sampleSize, timeoutMs));
        report(results.at(-1)!);
      } finally {
        await hw.destroy();
      }
    }
    const [p, h] = results;
    if (p && h) {
      console.log(
        `\nhost vs process: RSS/pipeline ${(h.rssPerPipeline / p.rssPerPipeline).toFixed(3)}x, ` +
          `converge p50 ${(pct(h.converge, 50) / pct(p.converge, 50)).toFixed(2)}x, ` +
          `roundtrip p50 ${(pct(h.roundtrip, 50) / pct(p.roundtrip, 50)).toFixed(2)}x, ` +
          `pipelines per second to running ${((h.n / h.allRunningMs) * 1000).toFixed(1)} vs ${((p.n / p.allRunningMs) * 1000).toFixed(1)}`,
      );
    }
  } finally {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
