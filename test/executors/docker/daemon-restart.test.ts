// Restarting the Docker daemon while pipelines run. Uses a private dockerd (see dockerd.ts) so the
// shared daemon of parallel test files is never restarted; also exercises DOCKER_HOST.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge, reconcile, type ConvergeDeps } from "../../../lib/converge";
import { createDockerExecutor, ensureLocalRunnerImage } from "../../../lib/executors/docker";
import { convergeSettled } from "../../helpers/converge";
import { openTestStore, uniqueSuffix, type TestStore } from "../../helpers/nats";
import { putConfig, putDefinition } from "../../helpers/pipelines";
import { privateDockerd, privateDockerdUnavailable, type PrivateDockerd } from "./dockerd";
import { natsMappingConfig, roundTrip } from "./world";

const unavailable = privateDockerdUnavailable();
if (unavailable) console.warn(`daemon restart test skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)("Docker daemon restart", () => {
  let daemon: PrivateDockerd;
  let t: TestStore;
  let deps: ConvergeDeps;

  beforeAll(async () => {
    daemon = privateDockerd(mkdtempSync(join(tmpdir(), "reef-dockerd-")));
    await daemon.start();
    t = await openTestStore();
    const env = {
      ...(process.env as Record<string, string>),
      ...t.env,
      ...daemon.env,
      REEF_ENGINE: "builtin",
      REEF_STOP_TIMEOUT: "2",
    };
    await ensureLocalRunnerImage({ env });
    deps = { store: t.store, executor: createDockerExecutor(env) };
  }, 90_000);

  afterAll(async () => {
    await daemon?.destroy();
    await t?.close();
  }, 60_000);

  it("restores the desired state with reconcile once the daemon is back", async () => {
    const a = `restart-a-${uniqueSuffix()}`;
    const b = `restart-b-${uniqueSuffix()}`;
    for (const id of [a, b]) {
      await putConfig(t, id, "1", natsMappingConfig(`in.${id}`, `out.${id}`, "v1:"));
      await putConfig(t, id, "2", natsMappingConfig(`in.${id}`, `out.${id}`, "v2:"));
      await putDefinition(t, { id, status: "published", version: "1" });
      expect((await convergeSettled(deps, id)).phase).toBe("running");
    }
    await putDefinition(t, { id: b, status: "paused", version: "1" });
    expect((await convergeSettled(deps, b)).phase).toBe("stopped");

    await daemon.stop();
    // While the daemon is down: a change of A fails visibly (and does not hang) …
    await putDefinition(t, { id: a, status: "published", version: "2" });
    const down = await converge(deps, a).catch((err: unknown) => ({ phase: "threw", error: err }));
    expect(down.phase === "failed" || down.phase === "threw").toBe(true);

    await daemon.start();
    // … and once it is back, reconcile makes everything as desired: A on v2, B still stopped.
    const r = await reconcile(deps);
    expect(r.failures).toEqual([]);
    await convergeSettled(deps, a); // the bridge converges again what is still starting
    expect((await deps.executor.list(a)).map((e) => [e.version, e.state])).toEqual([["2", "running"]]);
    expect((await deps.executor.list(b)).map((e) => [e.version, e.state])).toEqual([["1", "stopped"]]);
    expect(await t.store.getStatus(a)).toMatchObject({ phase: "running", version: "2", error: null });
    expect(await t.store.getStatus(b)).toMatchObject({ phase: "stopped" });
    expect(await roundTrip(t.nc, `in.${a}`, `out.${a}`, "back")).toBe("v2:back");

    for (const id of [a, b]) {
      await putDefinition(t, { id, status: "draft" });
      expect((await convergeSettled(deps, id)).phase).toBe("absent");
    }
  }, 120_000);
});
