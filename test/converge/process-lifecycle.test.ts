import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge, reconcile } from "../../lib/converge";
import { processesWithEnv } from "../../lib/processes";
import { convergeSettled } from "../helpers/converge";
import { waitFor } from "../helpers/nats";
import {
  openProcessWorld,
  putConfig,
  putDefinition,
  sampleConfig,
  type ProcessWorld,
} from "../helpers/pipelines";

let w: ProcessWorld;
beforeAll(async () => {
  w = await openProcessWorld();
});
afterAll(() => w.destroy());

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;

describe("converge with the process executor", () => {
  it("goes through a full life: publish, v2, pause, resume, draft, delete", async () => {
    const id = uid("life");
    await putConfig(w, id, "1", sampleConfig("v1"));
    await putConfig(w, id, "2", sampleConfig("v2"));

    // publish v1 → running, the runner really started the engine with v1's config
    await putDefinition(w, { id, status: "published", version: "1" });
    let r = await convergeSettled(w.deps, id);
    expect(r.phase).toBe("running");
    expect(await w.engineConfig(id, '"v1"')).toContain('"v1"');
    const status1 = await w.store.getStatus(id);
    expect(status1).toMatchObject({
      id,
      phase: "running",
      desired: "published",
      version: "1",
      executor: "process",
      error: null,
    });
    expect(status1!.executions).toEqual([expect.objectContaining({ state: "running", version: "1" })]);

    // publish v2 → only v2 runs
    await putDefinition(w, { id, status: "published", version: "2" });
    r = await convergeSettled(w.deps, id);
    expect(r.phase).toBe("running");
    const afterV2 = await w.executor.list(id);
    expect(afterV2.map((e) => [e.version, e.state])).toEqual([["2", "running"]]);
    expect(await w.engineConfig(id, '"v2"')).toContain('"v2"');

    // pause → stopped, record kept
    await putDefinition(w, { id, status: "paused", version: "2" });
    r = await convergeSettled(w.deps, id);
    expect(r.phase).toBe("stopped");
    expect((await w.executor.list(id)).map((e) => e.state)).toEqual(["stopped"]);

    // publish again → the same execution runs again
    await putDefinition(w, { id, status: "published", version: "2" });
    r = await convergeSettled(w.deps, id);
    expect(r.phase).toBe("running");
    expect(r.actions).toEqual([expect.stringMatching(/^resume /)]);

    // draft → nothing left
    await putDefinition(w, { id, status: "draft", version: "2" });
    r = await convergeSettled(w.deps, id);
    expect(r.phase).toBe("absent");
    expect(await w.executor.list(id)).toEqual([]);

    // delete → status deleted
    await w.store.deleteDefinition(id);
    r = await convergeSettled(w.deps, id);
    expect(r.phase).toBe("deleted");
    expect(await w.store.getStatus(id)).toBeNull();
  });

  it("is idempotent: converging again changes nothing", async () => {
    const id = uid("idem");
    await putConfig(w, id, "1", sampleConfig("x"));
    await putDefinition(w, { id, status: "published", version: "1", replicas: 2 });
    await convergeSettled(w.deps, id);
    const before = await w.executor.list(id);
    const again = await convergeSettled(w.deps, id);
    expect(again.actions).toEqual([]);
    expect(await w.executor.list(id)).toEqual(before);
    await putDefinition(w, { id, status: "draft" });
    await convergeSettled(w.deps, id);
  });

  it("never runs more than `replicas` executions under 10 concurrent converges", async () => {
    const id = uid("race");
    await putConfig(w, id, "1", sampleConfig("race"));
    await putDefinition(w, { id, status: "published", version: "1", replicas: 2 });
    await Promise.all(Array.from({ length: 10 }, () => converge(w.deps, id)));
    const executions = await w.executor.list(id);
    expect(executions).toHaveLength(2);
    expect(executions.map((e) => e.replica).sort()).toEqual([0, 1]);
    await putDefinition(w, { id, status: "draft" });
    await convergeSettled(w.deps, id);
  });

  it("adopts executions started by an earlier executor instance", async () => {
    const id = uid("adopt");
    await putConfig(w, id, "1", sampleConfig("adopt"));
    await putDefinition(w, { id, status: "published", version: "1" });
    await convergeSettled(w.deps, id);
    const [original] = await w.executor.list(id);

    const fresh = w.newExecutor(); // e.g. a restarted control plane
    expect(await fresh.list(id)).toEqual([original]);
    const again = await convergeSettled({ ...w.deps, executor: fresh }, id);
    expect(again.actions).toEqual([]);
    await putDefinition(w, { id, status: "draft" });
    const gone = await convergeSettled({ ...w.deps, executor: fresh }, id);
    expect(gone.phase).toBe("absent");
    expect(await w.executor.list(id)).toEqual([]);
  });

  // What a converge SIGKILLed during a launch leaves: the record without pid, created a while ago
  // (and, killed right after the spawn, a runner that may not have written its state file yet).
  const recordPath = (id: string) => join(w.stateDir, `reef-${id}-0.json`);
  const statePath = (id: string) => join(w.stateDir, `reef-${id}-0.state.json`);
  const recordedPid = (id: string) =>
    (JSON.parse(readFileSync(recordPath(id), "utf8")) as { pid: number }).pid;
  const interrupt = (id: string, opts: { stateWritten?: boolean } = {}) => {
    const r = JSON.parse(readFileSync(recordPath(id), "utf8")) as Record<string, unknown>;
    const createdAt = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(
      recordPath(id),
      JSON.stringify({ ...r, pid: null, startTime: null, startedAt: null, createdAt }),
    );
    if (opts.stateWritten === false) rmSync(statePath(id), { force: true });
    return r.pid as number;
  };
  const publishRunning = async (name: string) => {
    const id = uid(name);
    await putConfig(w, id, "1", sampleConfig(name));
    await putDefinition(w, { id, status: "published", version: "1" });
    expect((await convergeSettled(w.deps, id)).phase).toBe("running");
    return id;
  };

  it("finishes a launch its converge did not (killed between creating the record and recording the pid)", async () => {
    // killed after the spawn: the runner runs, unrecorded — it is adopted, not doubled
    const spawned = await publishRunning("spawned");
    const runnerPid = interrupt(spawned);
    expect((await w.executor.list(spawned)).map((e) => e.state)).toEqual(["failed"]);
    const adopted = await convergeSettled(w.deps, spawned);
    expect(adopted.phase).toBe("running");
    expect(recordedPid(spawned)).toBe(runnerPid);
    // …and a stop reaches it
    await putDefinition(w, { id: spawned, status: "paused", version: "1" });
    expect((await convergeSettled(w.deps, spawned)).phase).toBe("stopped");
    expect(alive(runnerPid)).toBe(false);

    // killed before the spawn: no runner at all — the next converge starts it
    const unspawned = await publishRunning("unspawned");
    const [execution] = await w.executor.list(unspawned);
    await w.executor.stop(execution);
    const r = JSON.parse(readFileSync(recordPath(unspawned), "utf8")) as Record<string, unknown>;
    writeFileSync(recordPath(unspawned), JSON.stringify({ ...r, desired: "running" }));
    interrupt(unspawned, { stateWritten: false });
    expect((await convergeSettled(w.deps, unspawned)).phase).toBe("running");
    expect((await w.executor.list(unspawned)).map((e) => e.state)).toEqual(["running"]);
  });

  it("finds an unrecorded runner by its environment, before it wrote its state: adopted, or stopped on delete", async () => {
    const adopted = await publishRunning("silent");
    const runnerPid = interrupt(adopted, { stateWritten: false });
    await converge(w.deps, adopted); // (its runner will say "running" when it next writes its state)
    expect(recordedPid(adopted)).toBe(runnerPid);
    expect(
      await processesWithEnv(`REEF_RUNNER_STATE_FILE=${statePath(adopted)}`, { groupLeaders: true }),
    ).toEqual([expect.objectContaining({ pid: runnerPid })]);

    const deleted = await publishRunning("silent-del");
    const orphanPid = interrupt(deleted, { stateWritten: false });
    await w.store.deleteDefinition(deleted);
    await convergeSettled(w.deps, deleted);
    expect(await w.executor.list(deleted)).toEqual([]);
    expect(alive(orphanPid)).toBe(false);
  });

  it("reconcile removes orphans: executions whose pipeline has no definition", async () => {
    const id = uid("orphan");
    await putConfig(w, id, "1", sampleConfig("orphan"));
    await putDefinition(w, { id, status: "published", version: "1" });
    await convergeSettled(w.deps, id);
    await w.store.purgeDefinition(id); // gone without any converge seeing it
    const result = await reconcile(w.deps);
    expect(result.orphans).toContain(id);
    expect(await w.executor.list(id)).toEqual([]);
    expect(await w.store.getStatus(id)).toBeNull();
  });

  it("reports an engine that fails at start in the status", async () => {
    const id = uid("crash");
    await putConfig(w, id, "1", sampleConfig("crash"));
    await putDefinition(w, { id, status: "published", version: "1" });
    const deps = {
      ...w.deps,
      executor: await openProcessWorldExecutor({ REEF_ENGINE: "/nonexistent/benthos" }),
    };
    const r = await convergeSettled(deps, id);
    expect(r.phase).toBe("failed");
    expect(r.error?.code).toBe("ENGINE_NOT_FOUND");
    const status = await waitFor(async () => (await w.store.getStatus(id))?.error, "status error");
    expect(status.code).toBe("ENGINE_NOT_FOUND");
    await putDefinition(w, { id, status: "draft" });
    await convergeSettled(deps, id);
  });
});

describe("the environment of an execution", () => {
  it("has what the runner needs and the allow-listed variables, never the control plane's other secrets", async () => {
    const id = uid("env");
    const executor = await openProcessWorldExecutor({
      AWS_SECRET_ACCESS_KEY: "control-plane-aws-secret",
      REEF_API_KEY: "control-plane-api-key",
      REEF_TEST_SHARED: "shared-with-pipelines",
      REEF_EXECUTION_ENV: "FAKE_ENGINE_DIR, REEF_TEST_SHARED",
    });
    const deps = { ...w.deps, executor };
    const mapping = 'root = "${REEF_TEST_SHARED:unset} ${AWS_SECRET_ACCESS_KEY:unset}"';
    await putConfig(w, id, "1", `input:\n  generate:\n    mapping: '${mapping}'\noutput:\n  drop: {}\n`);
    await putDefinition(w, { id, status: "published", version: "1" });
    expect((await convergeSettled(deps, id)).phase).toBe("running");
    // the config's ${VAR}s: the allow-listed one is there, the secret is not
    expect(await w.engineConfig(id, "shared-with-pipelines")).toContain('"shared-with-pipelines unset"');
    // and the runner process's own environment
    const { pid } = JSON.parse(readFileSync(join(w.stateDir, `reef-${id}-0.json`), "utf8")) as {
      pid: number;
    };
    const environ = new Map(
      readFileSync(`/proc/${pid}/environ`, "utf8")
        .split("\0")
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
    expect(environ.get("REEF_TEST_SHARED")).toBe("shared-with-pipelines");
    expect(environ.get("PIPELINE_ID")).toBe(id);
    expect(environ.get("NATS_URL")).toBe(w.env.NATS_URL);
    expect(environ.get("PATH")).toBe(process.env.PATH);
    expect(environ.has("AWS_SECRET_ACCESS_KEY")).toBe(false);
    expect(environ.has("REEF_API_KEY")).toBe(false);
    expect(environ.has("REEF_STATE_DIR")).toBe(false);
    await putDefinition(w, { id, status: "draft" });
    await converge(deps, id);
  });

  it("a malformed REEF_EXECUTION_ENV is an INVALID_SETTING error and starts nothing", async () => {
    const id = uid("env-bad");
    const executor = await openProcessWorldExecutor({ REEF_EXECUTION_ENV: "GOOD,not-a-name" });
    await putConfig(w, id, "1", sampleConfig("bad-env"));
    await putDefinition(w, { id, status: "published", version: "1" });
    const r = await converge({ ...w.deps, executor }, id);
    expect(r.phase).toBe("failed");
    expect(r.error).toEqual({
      code: "INVALID_SETTING",
      message: expect.stringContaining('"not-a-name" is not one'),
    });
    expect(await executor.list(id)).toEqual([]);
    await putDefinition(w, { id, status: "draft" });
    await converge({ ...w.deps, executor }, id);
  });
});

async function openProcessWorldExecutor(env: Record<string, string>) {
  const { createProcessExecutor } = await import("../../lib/executors/process");
  return createProcessExecutor({ ...w.env, ...env });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
