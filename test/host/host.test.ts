// The host executor end to end, with real reef host processes on the test nats-server: pipelines
// `nats → mapping → nats` answer a roundtrip; pause and resume; a version switch with no double
// output; a throwing or unsupported stream next to healthy neighbours; a SIGKILLed host whose
// pipelines answer again from the other host.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bridge, bridgeConfigFromEnv } from "../../lib/bridge";
import { converge, reconcile, type ConvergeDeps } from "../../lib/converge";
import { InProcessInvoker } from "../../lib/invoke";
import { quietLog } from "../bridge/fakes";
import { convergeSettled } from "../helpers/converge";
import { openHostWorld, type HostWorld } from "../helpers/hosts";
import { uniqueSuffix, waitFor } from "../helpers/nats";
import { putConfig, putDefinition } from "../helpers/pipelines";
import { echoConfig, roundtrip } from "./echo";

describe("host executor", () => {
  let w: HostWorld;
  let deps: ConvergeDeps;
  beforeAll(async () => {
    w = await openHostWorld({ REEF_EXECUTION_ENV: "NATS_URL" });
    await w.startHost();
    await w.startHost();
    deps = { store: w.store, executor: w.executor, heartbeatIntervalMs: 2_000 };
  }, 60_000);
  afterAll(() => w?.destroy(), 60_000);

  async function publish(id: string, version: string, yaml: string, status = "published") {
    await putConfig(w, id, version, yaml);
    await putDefinition(w, { id, status, version });
    return convergeSettled(deps, id);
  }

  it("pause stops the stream but keeps it; publishing again resumes it on its host", async () => {
    const id = `pause-${uniqueSuffix()}`;
    const yaml = echoConfig(id, "v1");
    const first = await publish(id, "1", yaml);
    expect(first.error).toBeNull();
    expect(first.phase).toBe("running");
    expect(await roundtrip(w.nc, id, "a")).toBe("v1:a");
    const [before] = await w.buckets.listPlacements(id);

    await putDefinition(w, { id, status: "paused", version: "1" });
    const paused = await convergeSettled(deps, id);
    expect(paused.phase).toBe("stopped");
    expect((await w.executor.list(id)).map((e) => e.state)).toEqual(["stopped"]);
    // nothing answers while paused
    const sub = w.nc.subscribe(`out.${id}`);
    w.nc.publish(`in.${id}`, "while-paused");
    await w.nc.flush();
    await new Promise((r) => setTimeout(r, 500));
    expect(sub.getReceived()).toBe(0);
    sub.unsubscribe();

    await putDefinition(w, { id, status: "published", version: "1" });
    expect((await convergeSettled(deps, id)).phase).toBe("running");
    const [after] = await w.buckets.listPlacements(id);
    expect(after.value.host).toBe(before.value.host);
    expect(await roundtrip(w.nc, id, "b")).toBe("v1:b");
    await putDefinition(w, { id, status: "draft" });
    expect((await convergeSettled(deps, id)).phase).toBe("absent");
  }, 90_000);

  it("a version switch: v1 leaves, v2 runs, every message is answered once", async () => {
    const id = `switch-${uniqueSuffix()}`;
    expect((await publish(id, "1", echoConfig(id, "v1"))).phase).toBe("running");
    expect(await roundtrip(w.nc, id, "x")).toBe("v1:x");
    expect((await publish(id, "2", echoConfig(id, "v2"))).phase).toBe("running");
    expect((await w.executor.list(id)).map((e) => e.version)).toEqual(["2"]);
    expect(await roundtrip(w.nc, id, "y")).toBe("v2:y");
    const answers: string[] = [];
    const sub = w.nc.subscribe(`out.${id}`, { callback: (_e, m) => void answers.push(m.string()) });
    for (let i = 0; i < 20; i++) w.nc.publish(`in.${id}`, `m${i}`);
    await w.nc.flush();
    await waitFor(() => answers.length >= 20, "20 answers");
    await new Promise((r) => setTimeout(r, 500)); // a second execution would answer twice by now
    sub.unsubscribe();
    expect(answers.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v2:m${i}`).sort());
    await putDefinition(w, { id, status: "draft" });
    await convergeSettled(deps, id);
  }, 90_000);

  it("a stream that throws, or needs what the engine lacks, fails alone: its neighbours keep flowing", async () => {
    const good = `good-${uniqueSuffix()}`;
    const throwing = `throws-${uniqueSuffix()}`;
    const unsupported = `kafka-${uniqueSuffix()}`;
    expect((await publish(good, "1", echoConfig(good, "ok"))).phase).toBe("running");
    // Every message throws in its mapping: errors, not a crash.
    await publish(throwing, "1", echoConfig(throwing, "x").replace(/root = .*'/, `root = throw("boom")'`));
    const failed = await publish(
      unsupported,
      "1",
      "input:\n  kafka:\n    addresses: [ localhost:9092 ]\n    topics: [ t ]\noutput:\n  drop: {}\n",
    );
    expect(failed.phase).toBe("failed");
    expect(failed.error?.code).toBe("HOST_UNSUPPORTED");
    expect(failed.error?.message).toMatch(/kafka/);
    for (let i = 0; i < 20; i++) w.nc.publish(`in.${throwing}`, `m${i}`);
    expect(await roundtrip(w.nc, good, "still")).toBe("ok:still");
    // Both hosts live on, with every stream they had.
    expect((await w.buckets.liveHosts()).length).toBe(2);
    for (const id of [good, throwing, unsupported]) {
      await putDefinition(w, { id, status: "draft" });
      await convergeSettled(deps, id);
    }
  }, 90_000);

  it("a config that starts processes or needs a Benthos binary is failed with HOST_UNSUPPORTED", async () => {
    const cases = [
      {
        id: `command-${uniqueSuffix()}`,
        yaml: echoConfig("unused", "x", "    - command:\n        name: cat"),
        names: /processor command/,
      },
      {
        id: `subproc-${uniqueSuffix()}`,
        yaml: echoConfig("unused", "x", "    - subprocess:\n        name: cat"),
        names: /processor subprocess/,
      },
      {
        id: `subin-${uniqueSuffix()}`,
        yaml: "input:\n  subprocess:\n    name: cat\noutput:\n  drop: {}\n",
        names: /input subprocess/,
      },
    ];
    for (const c of cases) {
      const r = await publish(c.id, "1", c.yaml);
      expect(r.phase, c.id).toBe("failed");
      expect(r.error?.code, c.id).toBe("HOST_UNSUPPORTED");
      expect(r.error?.message, c.id).toMatch(c.names);
      expect(r.error?.message, c.id).toMatch(/process, docker or ecs executor/);
      expect((await w.store.getStatus(c.id))?.error?.code).toBe("HOST_UNSUPPORTED");
      // failed, not crash-looping: the placement stays, the host reports it failed once
      expect((await w.executor.list(c.id)).map((e) => e.state)).toEqual(["failed"]);
    }
    for (const c of cases) {
      await putDefinition(w, { id: c.id, status: "draft" });
      expect((await convergeSettled(deps, c.id)).phase).toBe("absent");
    }
  }, 90_000);

  it("SIGKILL of a host: its pipelines answer again from the other host within a minute", async () => {
    const third = await w.startHost();
    const ids = Array.from({ length: 6 }, (_, i) => `ha${i}-${uniqueSuffix()}`);
    for (const id of ids) {
      const r = await publish(id, "1", echoConfig(id, id));
      expect(r.error, "the converge's error").toBeNull();
      expect(r.phase).toBe("running");
    }
    const placements = (await w.buckets.listPlacements()).filter((p) => ids.includes(p.value.pipeline));
    const victim = placements[0].value.host;
    const moved = placements.filter((p) => p.value.host === victim).map((p) => p.value.pipeline);
    const victimHost = w.hosts.find((h) => h.id === victim)!;
    expect(moved.length).toBeGreaterThan(0);

    const killedAt = Date.now();
    victimHost.kill("SIGKILL");
    await victimHost.exited;
    // What the scheduled reconcile (every minute) or the bridge's health watch does once the host's
    // entry expired: converge every pipeline.
    await waitFor(
      async () => !(await w.buckets.liveHosts()).some((h) => h.id === victim),
      "the host's entry expired",
      30_000,
    );
    await reconcile(deps);
    for (const id of moved) await convergeSettled(deps, id);
    for (const id of moved)
      expect(await roundtrip(w.nc, id, "again", 60_000 - (Date.now() - killedAt))).toBe(`${id}:again`);
    expect(Date.now() - killedAt).toBeLessThan(60_000);
    for (const p of await w.buckets.listPlacements()) {
      if (ids.includes(p.value.pipeline)) expect(p.value.host).not.toBe(victim);
    }
    for (const id of ids) {
      await putDefinition(w, { id, status: "draft" });
      await converge(deps, id);
    }
    expect(third.id).toBeTruthy();
  }, 120_000);

  it("SIGKILL of a host with a bridge running: its health watch re-places the pipelines, no reconcile", async () => {
    const ids = Array.from({ length: 4 }, (_, i) => `hb${i}-${uniqueSuffix()}`);
    for (const id of ids) expect((await publish(id, "1", echoConfig(id, id))).phase).toBe("running");
    // A bridge as `npm start` runs it, converging in-process, without the periodic reconcile.
    const config = {
      ...bridgeConfigFromEnv({ ...w.env, REEF_RESYNC_INTERVAL: "0" }),
      durable: `host-test-${uniqueSuffix()}`,
    };
    const bridge = new Bridge({
      store: w.store,
      invoker: new InProcessInvoker(async () => deps),
      config,
      log: quietLog,
      heartbeatIntervalMs: 2_000,
    });
    bridge.start();
    try {
      await bridge.idle();
      const placements = (await w.buckets.listPlacements()).filter((p) => ids.includes(p.value.pipeline));
      const victim = placements[0].value.host;
      const moved = placements.filter((p) => p.value.host === victim).map((p) => p.value.pipeline);
      const victimHost = w.hosts.find((h) => h.id === victim)!;
      const killedAt = Date.now();
      victimHost.kill("SIGKILL");
      await victimHost.exited;
      for (const id of moved)
        expect(await roundtrip(w.nc, id, "back", 60_000 - (Date.now() - killedAt))).toBe(`${id}:back`);
      expect(Date.now() - killedAt).toBeLessThan(60_000);
      for (const id of moved) {
        const [p] = await w.buckets.listPlacements(id);
        expect(p.value.host).not.toBe(victim);
      }
    } finally {
      await bridge.stop();
    }
    for (const id of ids) {
      await putDefinition(w, { id, status: "draft" });
      await converge(deps, id);
    }
  }, 120_000);

  it("`reef host` runs a host: it registers, and on SIGTERM leaves the hosts bucket and exits 0", async () => {
    const id = `cli-${uniqueSuffix()}`;
    const child = spawn(process.execPath, [resolve("dist/reef.mjs"), "host"], {
      env: { ...w.env, REEF_HOST_ID: id },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      await waitFor(
        async () => (await w.buckets.liveHosts()).some((h) => h.id === id),
        `reef host registered (${err})`,
        20_000,
      );
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect((await w.buckets.liveHosts()).some((h) => h.id === id)).toBe(false);
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);
});
