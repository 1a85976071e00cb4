// Job runs (CONTRACT.md §8) on the Docker executor, against the real daemon: each run is a
// container with restart policy `no` that runs the built-in engine to completion; its exit code
// and error reach the run record; converge removes it once ended; draft removes an active one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge, triggerJob, type ConvergeDeps } from "../../../lib/converge";
import { runContainerName, type DockerExecutor } from "../../../lib/executors/docker";
import type { PipelineStatus } from "../../../lib/model";
import { dockerSkipReason } from "../../helpers/docker";
import { uniqueSuffix, waitFor } from "../../helpers/nats";
import { convergeUntilStatus } from "../../helpers/converge";
import { publishJob, putDefinition } from "../../helpers/pipelines";
import { openDockerWorld, type DockerWorld } from "./world";

let w: DockerWorld;
let executor: DockerExecutor;
let deps: ConvergeDeps;

const uid = (p: string) => `${p}-${uniqueSuffix()}`;
const noDaemon = await dockerSkipReason("the Docker executor job suite");

beforeAll(async () => {
  if (noDaemon) return;
  w = await openDockerWorld();
  executor = w.executorWith({ REEF_ENGINE: "builtin" });
  deps = { store: w.store, executor };
}, 90_000);

afterAll(async () => {
  await w?.cleanup();
  await w?.close();
});

/** stdin lines → a mapping → NATS subject `out`. */
const stdinToNats = (out: string, extra = "") => `input:
  stdin: {}
pipeline:
  processors:
    - mapping: 'root = "done:" + content().string()'
${extra}
output:
  nats:
    urls: ["\${NATS_URL}"]
    subject: ${out}
`;

const endless = `input:
  generate:
    mapping: 'root = "tick"'
    interval: 200ms
output:
  drop: {}
`;

/** Converges until the status satisfies `ok`: a run's end is observed from the container. */
const convergeUntil = (id: string, ok: (s: PipelineStatus) => boolean, what: string) =>
  convergeUntilStatus(deps, id, ok, what, 60_000);

describe.skipIf(noDaemon)("job runs on the Docker executor", () => {
  it("3 triggers → 3 succeeded runs, their output delivered, no container left", async () => {
    const id = uid("djob");
    await publishJob(w, id, stdinToNats(`out.${id}`));
    await converge(deps, id);
    const sub = w.nc.subscribe(`out.${id}`);
    const got: string[] = [];
    void (async () => {
      for await (const m of sub) got.push(m.string());
    })();

    const runs = [];
    for (const n of [1, 2, 3]) {
      const { run } = await triggerJob(deps, id, {
        trigger: "manual",
        payload: new TextEncoder().encode(`order-${n}\n`),
      });
      expect(run.state).toBe("running");
      runs.push(run.run);
    }
    // Each run is its own container, labelled with its run, never restarted.
    const containers = await w.containers(id);
    expect(containers.map((c) => c.Names[0]).sort()).toEqual(
      runs.map((r) => `/${runContainerName(id, r)}`).sort(),
    );
    for (const c of containers) {
      const info = await w.docker.getContainer(c.Id).inspect();
      expect(info.HostConfig.RestartPolicy?.Name).toBe("no");
      expect(info.Config.Labels["reef.run"]).toEqual(expect.any(String));
    }
    // A run is not a replica: the stream side never sees it.
    expect(await executor.list(id)).toEqual([]);

    const status = await convergeUntil(
      id,
      (s) => s.runs?.filter((r) => r.state === "succeeded").length === 3,
      "3 runs to succeed",
    );
    expect(status).toMatchObject({ phase: "idle", executor: "docker", error: null });
    expect(status.runs!.map((r) => [r.state, r.exitCode, r.error])).toEqual([
      ["succeeded", 0, null],
      ["succeeded", 0, null],
      ["succeeded", 0, null],
    ]);
    await waitFor(() => got.length === 3, "3 messages out", 10_000);
    expect(got.sort()).toEqual(["done:order-1", "done:order-2", "done:order-3"]);
    sub.unsubscribe();
    expect(await w.containers(id)).toEqual([]);
  }, 120_000);

  it("a failing run is failed with its exit code and error; its container is never restarted", async () => {
    const id = uid("dfail");
    await publishJob(w, id, stdinToNats(`out.${id}`, `    - mapping: 'root = throw("bad order")'`));
    await converge(deps, id);
    const { run } = await triggerJob(deps, id, {
      trigger: "manual",
      payload: new TextEncoder().encode("x\n"),
    });

    // The executor's view before converge removes it: exited non-zero, policy `no`, no restart.
    const ended = await waitFor(
      async () => (await executor.listRuns(id)).find((e) => e.run === run.run && e.state === "failed"),
      "the run's container to fail",
      60_000,
    );
    expect(ended.exitCode).toBe(1);
    expect(ended.error).toMatchObject({ code: "RUN_FAILED" });
    const info = await w.docker.getContainer(ended.id).inspect();
    expect(info.State).toMatchObject({ Status: "exited", ExitCode: 1 });
    expect(info.RestartCount).toBe(0);
    expect(info.HostConfig.RestartPolicy?.Name).toBe("no");

    const status = await convergeUntil(id, (s) => s.runs?.[0]?.state === "failed", "the run to fail");
    expect(status.phase).toBe("failed");
    expect(status.runs![0]).toMatchObject({ run: run.run, exitCode: 1, error: { code: "RUN_FAILED" } });
    expect(status.runs![0].error!.message).toContain("bad order");
    expect(await w.containers(id)).toEqual([]);
    // Converging again starts nothing: a failed run stays failed (no retries asked).
    await converge(deps, id);
    expect(await w.containers(id)).toEqual([]);
    expect((await w.store.getStatus(id))!.runs).toHaveLength(1);
  }, 120_000);

  it("draft removes an active run's container", async () => {
    const id = uid("ddraft");
    await publishJob(w, id, endless);
    await converge(deps, id);
    const { run } = await triggerJob(deps, id, { trigger: "manual" });
    await waitFor(
      async () => (await executor.listRuns(id)).find((e) => e.run === run.run && e.state === "running"),
      "the run to run",
      60_000,
    );
    await putDefinition(w, { id, status: "draft", version: "1", mode: "job" });
    await converge(deps, id);
    expect(await w.containers(id)).toEqual([]);
    expect(await executor.listRuns(id)).toEqual([]);
  }, 120_000);
});
