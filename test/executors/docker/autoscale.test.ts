// Autoscaling end to end on the Docker executor (issue 15; a smaller variant of the process
// executor's test/bridge/autoscale.test.ts): the real bridge, runner containers on the built-in
// engine sharing one durable consumer, a 4,000-message backlog with a 20 ms sleep per message,
// min 1, max 4, targetPending 500, cooldown 10s.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bridge } from "../../../lib/bridge";
import { readEvents } from "../../../lib/store";
import { natsHandles } from "../../../lib/store/internal";
import {
  Deliveries,
  publishBacklog,
  running,
  Sampler,
  sleepConfig,
  startBridge,
} from "../../helpers/autoscale";
import { dockerSkipReason } from "../../helpers/docker";
import { waitFor } from "../../helpers/nats";
import { putConfig, putDefinition } from "../../helpers/pipelines";
import { openDockerWorld, type DockerWorld } from "./world";

const noDaemon = await dockerSkipReason("the Docker autoscaling suite");

const s = randomBytes(3).toString("hex");
const id = `autoscale-docker-${s}`;
const STREAM = `AUTOSCALE_DOCKER_${s}`;
const SUBJECT = `autoscale-docker.${s}.in`;
const OUT = `autoscale-docker.${s}.out`;
const HEARTBEAT_MS = 500;
const BACKLOG = 4_000;
const autoscale = { min: 1, max: 4, targetPending: 500, cooldown: "10s" };

let w: DockerWorld;
let bridge: Bridge;
let deliveries: Deliveries;
let replicas: Sampler;

describe.skipIf(noDaemon)("autoscaling end to end (docker executor, the bridge)", () => {
  beforeAll(async () => {
    w = await openDockerWorld({
      REEF_ENGINE: "builtin",
      REEF_HEARTBEAT_INTERVAL: `${HEARTBEAT_MS}ms`,
      REEF_STOP_TIMEOUT: "30",
    });
    await natsHandles(w.store).jsm.streams.add({ name: STREAM, subjects: [SUBJECT] });
    deliveries = await Deliveries.start(w.nc, `${STREAM}_OUT`, OUT);
    await putConfig(w, id, "1", sleepConfig({ subject: SUBJECT, out: OUT, durable: "work" }));
    bridge = startBridge(w.store, w.executor, HEARTBEAT_MS);
    replicas = new Sampler(() => running(w.executor, id), 500);
  }, 180_000);

  afterAll(async () => {
    replicas?.stop();
    deliveries?.stop();
    await bridge?.stop();
    await w?.cleanup();
    await w?.close();
  });

  it("≥ 2 replicas, never above 4, back to 1 once the backlog is consumed, every message delivered; paused stops them all", async () => {
    await publishBacklog(w.nc, SUBJECT, 0, BACKLOG);
    await putDefinition(w, { id, status: "published", version: "1", replicas: 1, autoscale });
    await waitFor(async () => (await running(w.executor, id)) >= 2, "at least 2 replicas", 60_000);
    await waitFor(() => deliveries.all(0, BACKLOG), `all ${BACKLOG} messages delivered`, 240_000);
    await waitFor(
      async () =>
        (await w.store.getStatus(id))?.replicas?.desired === 1 && (await running(w.executor, id)) === 1,
      "back to 1 replica",
      120_000,
    );
    expect(replicas.max).toBeGreaterThanOrEqual(2);
    expect(replicas.max).toBeLessThanOrEqual(autoscale.max);
    const records = (await readEvents(w.store, { pipeline: id }))
      .map((e) => e.record?.scale)
      .filter((r) => r !== undefined);
    expect(Math.max(...records.map((r) => r.to))).toBeLessThanOrEqual(autoscale.max);
    expect(records.at(-1)?.to).toBe(1);

    // paused while scaled: every container stops
    await publishBacklog(w.nc, SUBJECT, BACKLOG, BACKLOG);
    await waitFor(async () => (await running(w.executor, id)) >= 2, "scaled up again", 60_000);
    await putDefinition(w, { id, status: "paused", version: "1", replicas: 1, autoscale });
    await waitFor(
      async () => (await w.executor.list(id)).every((e) => e.state === "stopped"),
      "every replica stopped",
      90_000,
    );
    const st = await waitFor(async () => {
      const status = await w.store.getStatus(id);
      return status?.phase === "stopped" ? status : null;
    }, "status stopped");
    expect(st.replicas).toMatchObject({ current: 0, reason: "paused: not scaled" });
    const consumer = () => natsHandles(w.store).jsm.consumers.info(STREAM, "work");
    const seen = deliveries.total;
    const before = await consumer();
    expect(before.num_pending).toBeGreaterThan(0); // a backlog is left, and nobody takes from it
    // An observation window of 6 heartbeat intervals: nothing may happen in it.
    await new Promise((r) => setTimeout(r, 6 * HEARTBEAT_MS));
    expect(deliveries.total).toBe(seen);
    expect((await consumer()).delivered.consumer_seq).toBe(before.delivered.consumer_seq);
  }, 600_000);
});
