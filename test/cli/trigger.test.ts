// `reef trigger <id>`: one run of a job through the trigger function (here --in-process), its
// result printed; --wait waits for the run's end (observed by a converge, as the bridge's).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge } from "../../lib/converge";
import {
  openProcessWorld,
  putConfig,
  putDefinition,
  sampleConfig,
  type ProcessWorld,
} from "../helpers/pipelines";
import { assertBuilt, reef } from "./helpers";

let w: ProcessWorld;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  w = await openProcessWorld({ REEF_ENGINE: "builtin" });
  env = { ...w.env, REEF_EXECUTOR: "process" };
});
afterAll(async () => {
  for (const run of (await w?.executor.listRuns()) ?? []) await w.executor.removeRun(run);
  await w?.destroy();
});

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;
const JOB = (extra = "") =>
  `input:\n  stdin: {}\npipeline:\n  processors:\n    - mapping: root = this${extra}\noutput:\n  drop: {}\n`;

/** Converges `id` until the CLI run ends (the bridge would, on converge's requeue). */
async function convergeWhile(id: string, running: Promise<unknown>): Promise<void> {
  let done = false;
  void running.finally(() => (done = true));
  const deadline = Date.now() + 30_000;
  while (!done && Date.now() < deadline) {
    await converge(w.deps, id);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("reef trigger", () => {
  it("--payload --wait --json prints the run's result once it ended; exit 0 when it succeeded", async () => {
    const id = uid("clijob");
    await putConfig(w, id, "1", JOB());
    await putDefinition(w, { id, status: "published", version: "1", mode: "job" });
    const running = reef(["trigger", id, "--in-process", "--payload", '{"a":1}\n', "--wait", "--json"], {
      env,
      timeoutMs: 60_000,
    });
    await convergeWhile(id, running);
    const r = await running;
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ state: "succeeded", exitCode: 0, error: null });
    expect((await w.store.getStatus(id))!.runs![0]).toMatchObject({ run: result.run, trigger: "manual" });
  }, 90_000);

  it("--wait exits 1 with the error when the run failed; without --wait it prints the started run", async () => {
    const id = uid("clifail");
    await putConfig(w, id, "1", JOB(`\n    - mapping: 'root = throw("no good")'`));
    await putDefinition(w, { id, status: "published", version: "1", mode: "job" });
    const running = reef(["trigger", id, "--in-process", "--payload", '{"a":1}', "--wait"], {
      env,
      timeoutMs: 60_000,
    });
    await convergeWhile(id, running);
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${id} run \\S+ failed RUN_FAILED: .*no good`));

    const started = await reef(["trigger", id, "--in-process", "--json"], { env });
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ state: "running", exitCode: null });
  }, 90_000);

  it("refuses a stream and an unknown pipeline with the reason", async () => {
    const stream = uid("clistream");
    await putConfig(w, stream, "1", sampleConfig("s"));
    await putDefinition(w, { id: stream, status: "draft", version: "1" });
    const r = await reef(["trigger", stream, "--in-process"], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("NOT_A_JOB");
    expect(r.stderr).toContain("only mode");
    const unknown = await reef(["trigger", uid("nope"), "--in-process"], { env });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("does not exist");
    const bad = await reef(["trigger", stream, "--in-process", "--timeout", "soon", "--wait"], { env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--timeout must be");
  });
});
