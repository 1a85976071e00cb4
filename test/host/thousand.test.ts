// The host executor's reason to be: 1,000 published pipelines on 2 reef hosts. Every one reaches
// `running`, a sample answers a roundtrip, and deleting them all leaves nothing: no placement,
// report, heartbeat or stream on either host, and no JetStream consumer left behind by listings.
// (Heavy: its own file; about a minute on a loaded 2-core machine.)
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ConvergeDeps } from "../../lib/converge";
import { forEachBounded } from "../../lib/model";
import { convergeSettled } from "../helpers/converge";
import { openHostWorld, type HostWorld } from "../helpers/hosts";
import { uniqueSuffix, waitFor } from "../helpers/nats";
import { putConfig, putDefinition } from "../helpers/pipelines";
import { echoConfig, roundtrip } from "./echo";
import { natsHandles } from "../../lib/store/internal";

const N = 1_000;

let w: HostWorld;
let deps: ConvergeDeps;
beforeAll(async () => {
  w = await openHostWorld({ REEF_EXECUTION_ENV: "NATS_URL", REEF_HEARTBEAT_INTERVAL: "5s" });
  await w.startHost();
  await w.startHost();
  deps = { store: w.store, executor: w.executor };
}, 60_000);
afterAll(() => w?.destroy(), 120_000);

it(`${N} pipelines on 2 hosts: all run, a sample answers, deleting them all leaves nothing`, async () => {
  const run = uniqueSuffix();
  const ids = Array.from({ length: N }, (_, i) => `d${i}-${run}`);
  await forEachBounded(ids, 32, undefined, async (id) => {
    await putConfig(w, id, "1", echoConfig(id, id));
    await putDefinition(w, { id, status: "published", version: "1" });
  });
  const published = Date.now();
  const notRunning: string[] = [];
  await forEachBounded(ids, 16, undefined, async (id) => {
    const r = await convergeSettled(deps, id, 120_000);
    if (r.phase !== "running")
      notRunning.push(`${id}: ${r.phase} ${r.error?.code ?? ""} ${r.error?.message ?? ""}`);
  });
  console.log(`${N} converged in ${Date.now() - published} ms`);
  expect(notRunning).toEqual([]);

  // Balanced: each host runs about half.
  const hosts = await w.buckets.liveHosts();
  expect(hosts).toHaveLength(2);
  const perHost = new Map<string, number>();
  for (const p of await w.buckets.listPlacements())
    perHost.set(p.value.host, (perHost.get(p.value.host) ?? 0) + 1);
  for (const n of perHost.values()) expect(n).toBeGreaterThan(N / 4);

  const sample = ids.filter((_, i) => i % 20 === 0);
  for (const id of sample) expect(await roundtrip(w.nc, id, "ping")).toBe(`${id}:ping`);

  await forEachBounded(ids, 32, undefined, async (id) => {
    await w.store.deleteDefinition(id);
  });
  const deleting = Date.now();
  const notDeleted: string[] = [];
  await forEachBounded(ids, 16, undefined, async (id) => {
    const r = await convergeSettled(deps, id, 60_000);
    if (r.phase !== "deleted")
      notDeleted.push(`${id}: ${r.phase} ${r.error?.code ?? ""} ${r.error?.message ?? ""}`);
  });
  console.log(`${N} deleted in ${Date.now() - deleting} ms`);
  expect(notDeleted).toEqual([]);
  expect(await w.executor.list()).toEqual([]);
  expect(await w.buckets.listReports()).toEqual([]);
  expect((await w.store.listHeartbeats()).filter((h) => ids.includes(h.heartbeat.id))).toEqual([]);
  // Listing keys left no consumer behind (kv.keys() made one per call, kept by the server for
  // minutes: thousands of them slowed every converge down): only the hosts' placement watchers.
  for (const stream of [w.names.placements, w.names.hosts, w.names.hostReports, w.names.health]) {
    const consumers = [];
    for await (const c of natsHandles(w.store).jsm.consumers.list(`KV_${stream}`)) consumers.push(c.name);
    expect(consumers.length, `consumers on KV_${stream}`).toBeLessThanOrEqual(2);
  }
  // The hosts' next records show no stream and no placement left.
  await waitFor(
    async () => (await w.buckets.liveHosts()).every((h) => h.streams === 0 && h.placed === 0),
    "hosts with no stream left",
    30_000,
  );
}, 600_000);
