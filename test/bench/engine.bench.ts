// Built-in engine throughput and latency: `nats` → `mapping` (a few fields) → `nats`, 200k messages,
// measured against a plain nats.js subscribe → transform → publish loop in the same run, on a
// nats-server this bench starts itself. Reports, never asserts.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { loadConfig, startStream } from "../../lib/engine";
import { startNatsServer } from "../../lib/local/nats-server";
import { Store } from "../../lib/store";
import { ExecutionTelemetry } from "../../lib/telemetry";

const N = Number(process.env.BENCH_N ?? 200_000);
/**
 * Telemetry-overhead rounds, each one engine run without and one with telemetry: BENCH_TELEMETRY
 * (default 2; 0 skips them). More rounds make the medians steadier on a shared machine.
 */
const TELEMETRY_ROUNDS = Math.max(0, Math.floor(Number(process.env.BENCH_TELEMETRY ?? 2)) || 0);
/**
 * BENCH_BASE=<another checkout of reef, with node_modules>: also runs that checkout's engine in this
 * process, alternated with this one's, BENCH_AB_ROUNDS times (default 4), and prints medians: on a
 * shared machine, two versions compare only side by side in one run.
 */
const BASE = process.env.BENCH_BASE;
const AB_ROUNDS = Math.max(1, Number(process.env.BENCH_AB_ROUNDS ?? 4) || 4);
const PACED_N = 20_000;
const PACED_RATE = 10_000; // msgs/s for the latency run below saturation

const MAPPING = `root = this
root.total = this.price * this.qty
root.name = this.name.uppercase()
root.seen = true
meta kind = "order"`;

interface Result {
  /** CPU time of this process (driver + subject) per message. */
  cpuUs: number;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Publishes `n` docs into `inSubject` and waits for all of them on `outSubject`. */
async function drive(
  nc: NatsConnection,
  inSubject: string,
  outSubject: string,
  n: number,
  ratePerSec?: number,
): Promise<Result> {
  const latencies = new Float64Array(n);
  let got = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const sub = nc.subscribe(outSubject, {
    callback: (_e, m) => {
      const doc = JSON.parse(dec.decode(m.data)) as { t: number };
      latencies[got++] = performance.now() - doc.t;
      if (got === n) resolveDone();
    },
  });
  await nc.flush();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    nc.publish(
      inSubject,
      enc.encode(JSON.stringify({ id: i, name: "widget", price: 2.5, qty: i % 10, t: performance.now() })),
    );
    if (ratePerSec) {
      // Paced: keep to the schedule so latency is measured below saturation.
      if (i % 100 === 99) {
        const due = t0 + ((i + 1) / ratePerSec) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    } else if (i % 1000 === 999) await nc.flush();
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    done,
    new Promise(
      (_, reject) =>
        (timer = setTimeout(() => reject(new Error(`only ${got}/${n} messages arrived`)), 120_000)),
    ),
  ]).finally(() => clearTimeout(timer));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  sub.unsubscribe();
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    cpuUs: (cpu.user + cpu.system) / n,
    seconds,
    rate: n / seconds,
    p50: sorted[Math.floor(n * 0.5)],
    p99: sorted[Math.floor(n * 0.99)],
  };
}

/** The baseline: the same transformation written directly against nats.js. */
async function baseline(
  url: string,
  inSubject: string,
  outSubject: string,
): Promise<{ stop(): Promise<void> }> {
  const nc = await connect({ servers: url });
  nc.subscribe(inSubject, {
    callback: (_e, m) => {
      const doc = JSON.parse(dec.decode(m.data)) as Record<string, unknown> & {
        price: number;
        qty: number;
        name: string;
      };
      doc.total = doc.price * doc.qty;
      doc.name = doc.name.toUpperCase();
      doc.seen = true;
      nc.publish(outSubject, enc.encode(JSON.stringify(doc)));
    },
  });
  await nc.flush();
  return { stop: () => nc.drain() };
}

type EngineModule = { loadConfig: typeof loadConfig; startStream: typeof startStream };

async function engine(
  url: string,
  inSubject: string,
  outSubject: string,
  telemetry?: ExecutionTelemetry,
  mod: EngineModule = { loadConfig, startStream },
) {
  const yaml = `
input:
  nats:
    urls: [ ${url} ]
    subject: ${inSubject}
pipeline:
  processors:
    - mapping: |
${MAPPING.split("\n")
  .map((l) => "        " + l)
  .join("\n")}
output:
  nats:
    urls: [ ${url} ]
    subject: ${outSubject}
logger:
  level: WARN
`;
  const stream = await mod.startStream(
    mod.loadConfig(yaml),
    telemetry ? { logTap: (level, line) => telemetry.builtinLine(level, line) } : {},
  );
  if (telemetry) {
    // As the runner does: heartbeats read the engine's own counters.
    const { builtinSource } = await import("../../lib/telemetry");
    telemetry.attach(builtinSource(stream));
    await telemetry.start();
  }
  return stream;
}

/** The runner's telemetry (heartbeats to a real KV, logs to a real stream) at `intervalMs`. */
async function telemetryFor(nc: NatsConnection, intervalMs: number): Promise<ExecutionTelemetry> {
  const s = Math.random().toString(16).slice(2, 8);
  const store = await Store.open(nc, {
    names: {
      pipelines: `bp-${s}`,
      configs: `bc-${s}`,
      status: `bs-${s}`,
      events: `BE_${s}`,
      eventsSubject: `bench.events-${s}`,
      leases: `bl-${s}`,
      health: `bh-${s}`,
      logs: `BL_${s}`,
      logsSubject: `bench.logs-${s}`,
      hosts: `bhh-${s}`,
      placements: `bpl-${s}`,
      hostReports: `bhr-${s}`,
    },
  });
  return new ExecutionTelemetry({
    store,
    identity: { id: "bench", replica: 0, version: "1", digest: "-", engine: "builtin" },
    settings: { heartbeatIntervalMs: intervalMs, logsPerSecond: 100, maxLineBytes: 16 * 1024 },
  });
}

const fmt = (r: Result) =>
  `${Math.round(r.rate).toLocaleString("en-US").padStart(9)} msg/s  ${r.seconds.toFixed(2)}s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  cpu ${r.cpuUs.toFixed(1)} µs/msg`;

export default async function bench(): Promise<void> {
  const storeDir = mkdtempSync(join(tmpdir(), "reef-bench-engine-"));
  const server = await startNatsServer({ storeDir });
  const nc = await connect({ servers: server.url });
  try {
    const base = await baseline(server.url, "b.in", "b.out");
    // Warm up both paths so JIT and connections do not count against either.
    await drive(nc, "b.in", "b.out", 5_000);
    const baseRun = await drive(nc, "b.in", "b.out", N);
    const basePaced = await drive(nc, "b.in", "b.out", PACED_N, PACED_RATE);
    await base.stop();

    const stream = await engine(server.url, "e.in", "e.out");
    await drive(nc, "e.in", "e.out", 5_000);
    const engRun = await drive(nc, "e.in", "e.out", N);
    const engPaced = await drive(nc, "e.in", "e.out", PACED_N, PACED_RATE);
    const metrics = stream.metrics();
    await stream.stop();

    // Telemetry overhead: the same engine run without, then with the runner's telemetry at a 1 s
    // heartbeat (5× the default rate), alternated twice so drift on a shared machine evens out.
    const plain: Result[] = [];
    const reported: Result[] = [];
    for (let round = 0; round < TELEMETRY_ROUNDS; round++) {
      for (const withTelemetry of [false, true]) {
        const t = withTelemetry ? await telemetryFor(nc, 1_000) : undefined;
        const sIn = `t${round}${withTelemetry ? "y" : "n"}.in`;
        const sOut = `t${round}${withTelemetry ? "y" : "n"}.out`;
        const st = await engine(server.url, sIn, sOut, t);
        await drive(nc, sIn, sOut, 5_000);
        (withTelemetry ? reported : plain).push(await drive(nc, sIn, sOut, N));
        await st.stop();
        await t?.close({ remove: true });
      }
    }
    const median = (xs: number[]) => {
      const v = [...xs].sort((a, b) => a - b);
      return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    };

    console.log(
      `nats → mapping (4 fields) → nats, ${N.toLocaleString("en-US")} messages (publisher flushes every 1000)`,
    );
    console.log(`  plain nats.js loop   ${fmt(baseRun)}`);
    console.log(`  reef engine          ${fmt(engRun)}`);
    console.log(
      `  ratio engine/plain   ${(engRun.rate / baseRun.rate).toFixed(2)}x throughput, ${(engRun.p50 / baseRun.p50).toFixed(1)}x p50 latency, ${(engRun.cpuUs / baseRun.cpuUs).toFixed(2)}x CPU per message (load ${loadavg()[0].toFixed(1)})`,
    );
    console.log(
      `\npaced at ${PACED_RATE.toLocaleString("en-US")} msg/s, ${PACED_N.toLocaleString("en-US")} messages (latency below saturation)`,
    );
    console.log(`  plain nats.js loop   ${fmt(basePaced)}`);
    console.log(`  reef engine          ${fmt(engPaced)}`);
    if (TELEMETRY_ROUNDS)
      console.log(
        `\ntelemetry overhead (heartbeat every 1 s to KV + log lines to the logs stream), ${TELEMETRY_ROUNDS} rounds each`,
      );
    for (let i = 0; i < plain.length; i++) {
      console.log(`  engine                 ${fmt(plain[i])}`);
      console.log(`  engine + telemetry     ${fmt(reported[i])}`);
    }
    if (TELEMETRY_ROUNDS) {
      // Medians: one round disturbed by the machine moves a mean, not a median. CPU per message is
      // the steadier measure of what telemetry costs; throughput at saturation varies more.
      const rate = (rs: Result[]) => median(rs.map((r) => r.rate));
      const cpu = (rs: Result[]) => median(rs.map((r) => r.cpuUs));
      console.log(
        `  overhead               ${((1 - rate(reported) / rate(plain)) * 100).toFixed(1)}% of throughput (median ${Math.round(rate(plain)).toLocaleString("en-US")} → ${Math.round(rate(reported)).toLocaleString("en-US")} msg/s), ${((cpu(reported) / cpu(plain) - 1) * 100).toFixed(1)}% CPU per message (median ${cpu(plain).toFixed(1)} → ${cpu(reported).toFixed(1)} µs)`,
      );
    }
    if (BASE) await compareWithBase(nc, server.url, BASE);
    const m = metrics["pipeline.processors.0"];
    console.log(
      `\nengine metrics: mapping p50 ${m.latencyMs.p50.toFixed(3)} ms/batch, output p50 ${metrics.output.latencyMs.p50.toFixed(3)} ms/write`,
    );
  } finally {
    await nc.drain().catch(() => undefined);
    await server.stop();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

/** This engine against BENCH_BASE's, alternated in one process against one nats-server. */
async function compareWithBase(nc: NatsConnection, url: string, base: string): Promise<void> {
  const baseMod = (await import(pathToFileURL(join(base, "lib/engine/index.ts")).href)) as EngineModule;
  const streams = [
    { label: "base", stream: await engine(url, "ab.base.in", "ab.base.out", undefined, baseMod) },
    { label: "this", stream: await engine(url, "ab.this.in", "ab.this.out") },
  ];
  const runs = new Map<string, Result[]>(streams.map((s) => [s.label, []]));
  for (const { label } of streams) await drive(nc, `ab.${label}.in`, `ab.${label}.out`, 5_000);
  for (let r = 0; r < AB_ROUNDS; r++)
    for (const { label } of streams)
      runs.get(label)!.push(await drive(nc, `ab.${label}.in`, `ab.${label}.out`, N));
  for (const { stream } of streams) await stream.stop();
  const med = (xs: number[]) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  console.log(`\nthis engine against ${base} (alternated, ${AB_ROUNDS} rounds, medians)`);
  for (const [label, rs] of runs)
    console.log(
      `  ${label}  ${Math.round(med(rs.map((x) => x.rate)))
        .toLocaleString("en-US")
        .padStart(
          9,
        )} msg/s  p50 ${med(rs.map((x) => x.p50)).toFixed(1)} ms  cpu ${med(rs.map((x) => x.cpuUs)).toFixed(1)} µs/msg  (rates ${rs.map((x) => Math.round(x.rate)).join(", ")})`,
    );
}
