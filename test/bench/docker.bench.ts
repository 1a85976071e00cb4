// Docker executor: time from the KV put of a published definition to the pipeline's container
// answering its first NATS message, p50 over 20 pipelines, against the floor: `docker run` of the
// same image, env and config by hand, measured in the same run (interleaved).
// Both run reef's built-in engine inside the container (config: nats in → mapping → nats out).
// A KV watcher stands in for the bridge: it calls converge() on each change.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { converge, type ConvergeDeps, type ConvergeResult } from "../../lib/converge";
import {
  createDockerExecutor,
  ensureLocalRunnerImage,
  type DockerExecutor,
} from "../../lib/executors/docker";
import { runnerEnv } from "../../lib/executors/env";
import { startNatsServer } from "../../lib/local/nats-server";
import { connectNats, Store } from "../../lib/store/internal";
import { natsHandles } from "../../lib/store/internal";

const N = Number(process.env.BENCH_PIPELINES ?? 20);
const IMAGE = "reef-runner:local";

export default async function dockerBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "reef-bench-docker-"));
  const nats = await startNatsServer({ storeDir: join(dir, "nats") });
  const s = Math.random().toString(16).slice(2, 8);
  const names = {
    pipelines: `bench-pipelines-${s}`,
    configs: `bench-configs-${s}`,
    status: `bench-status-${s}`,
    events: `BENCH_EVENTS_${s}`,
    eventsSubject: `reef.bench-events-${s}`,
    leases: `bench-leases-${s}`,
    health: `bench-health-${s}`,
    logs: `BENCH_LOGS_${s}`,
    logsSubject: `reef.bench-logs-${s}`,
    hosts: `bench-hosts-${s}`,
    placements: `bench-placements-${s}`,
    hostReports: `bench-host-reports-${s}`,
  };
  const baseEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NATS_URL: nats.url,
    REEF_PIPELINES_BUCKET: names.pipelines,
    REEF_CONFIGS_BUCKET: names.configs,
    REEF_STATUS_BUCKET: names.status,
    REEF_EVENTS_STREAM: names.events,
    REEF_LEASES_BUCKET: names.leases,
    REEF_DOCKER_SCOPE: `bench-${s}`,
    REEF_STOP_TIMEOUT: "2",
  };
  const nc = await connectNats({ name: "reef-bench", env: baseEnv });
  const store = await Store.open(nc, { names });
  const image = await ensureLocalRunnerImage({ env: baseEnv });
  console.log(`image ${IMAGE} ${image.built ? "built" : "up to date"}; nats ${nats.url}; ${N} pipelines`);

  const engineEnv: Record<string, string> = { REEF_ENGINE: "builtin" };
  const executor: DockerExecutor = createDockerExecutor({ ...baseEnv, ...engineEnv });
  const deps: ConvergeDeps = { store, executor };
  const reef: number[] = [];
  const byHand: number[] = [];
  const handContainers: string[] = [];
  // A stand-in for the bridge: converge each pipeline whose definition changed (the real bridge
  // invokes the converge function on the same KV change).
  const watcher = await natsHandles(store).pipelines.watch({ include: "updates" });
  const converged = new Map<string, Promise<ConvergeResult>>();
  const bridge = (async () => {
    for await (const e of watcher) {
      if (e.operation === "PUT" && e.key.startsWith(`bench-${s}-`))
        converged.set(e.key, converge(deps, e.key));
    }
  })();
  try {
    for (let i = 0; i < N; i++) {
      // reef: KV put → (watch) converge → container → first answer
      const id = `bench-${s}-${i}`;
      await store.putConfig(id, "1", new TextEncoder().encode(config(id)));
      const t0 = performance.now();
      const answered = firstAnswer(nc, id);
      await store.putDefinition(id, JSON.stringify({ id, status: "published", version: "1" }));
      await answered;
      reef.push(performance.now() - t0);
      const r = await converged.get(id)!;
      if (r.error) throw new Error(`converge ${id}: ${JSON.stringify(r.error)}`);

      // floor: docker run of the same image, env and config by hand
      const hid = `bench-hand-${s}-${i}`;
      const stored = await store.putConfig(hid, "1", new TextEncoder().encode(config(hid)));
      const env = runnerEnv(
        { pipeline: hid, version: "1", digest: stored.digest, replica: 0 },
        {
          ...baseEnv,
          ...engineEnv,
        },
      );
      const args = ["run", "-d", "--name", `reef-bench-hand-${s}-${i}`, "--network", "host", "--read-only"];
      args.push("--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--init");
      for (const [k, v] of Object.entries(env)) args.push("-e", `${k}=${v}`);
      const h0 = performance.now();
      const handAnswered = firstAnswer(nc, hid);
      handContainers.push(await docker(args.concat(IMAGE)));
      await handAnswered;
      byHand.push(performance.now() - h0);
    }
  } finally {
    watcher.stop();
    await bridge;
    for (let i = 0; i < N; i++) {
      const id = `bench-${s}-${i}`;
      await natsHandles(store)
        .pipelines.put(id, JSON.stringify({ id, status: "draft" }))
        .catch(() => {});
      await converge(deps, id).catch(() => {});
    }
    for (const c of handContainers) await docker(["rm", "-f", "-v", c]).catch(() => {});
    await nc.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const p = (xs: number[], q: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
  const row = (name: string, xs: number[]) =>
    `| ${name} | ${p(xs, 0.5).toFixed(0)} | ${p(xs, 0.9).toFixed(0)} | ${Math.min(...xs).toFixed(0)} | ${Math.max(...xs).toFixed(0)} |`;
  console.log("\n| KV put → first answer (ms) | p50 | p90 | min | max |\n|---|---|---|---|---|");
  console.log(row("reef (docker executor)", reef));
  console.log(row("docker run by hand (floor)", byHand));
  console.log(`\nratio p50 reef / floor: ${(p(reef, 0.5) / p(byHand, 0.5)).toFixed(2)}x`);
}

/** input nats in.<id> → mapping → output nats out.<id> */
function config(id: string): string {
  return [
    "input:",
    "  nats:",
    '    urls: ["${NATS_URL}"]',
    `    subject: in.${id}`,
    "pipeline:",
    "  processors:",
    `    - mapping: 'root = "echo:" + content().string()'`,
    "output:",
    "  nats:",
    '    urls: ["${NATS_URL}"]',
    `    subject: out.${id}`,
    "",
  ].join("\n");
}

/** Publishes to in.<id> every 20 ms until the first message on out.<id>; bounded at 60 s. */
async function firstAnswer(nc: NatsConnection, id: string): Promise<void> {
  const sub = nc.subscribe(`out.${id}`, { max: 1 });
  await nc.flush();
  const timer = setInterval(() => nc.publish(`in.${id}`, "ping"), 20);
  const bound = setTimeout(() => sub.unsubscribe(), 60_000);
  try {
    for await (const _ of sub) return;
    throw new Error(`no answer from ${id} within 60 s`);
  } finally {
    clearInterval(timer);
    clearTimeout(bound);
  }
}

function docker(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`docker ${args[0]}: ${err}`)),
    );
  });
}
