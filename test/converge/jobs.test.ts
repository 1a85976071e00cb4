// Job pipelines (CONTRACT.md §8) with the process executor, the built-in engine, a real nats-server
// and a real PostgreSQL: runs to completion, recorded runs, failures with retries, timeouts,
// concurrency policies and schedules (an injected clock: no test waits for a minute to pass).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge, reconcile, triggerJob, type ConvergeDeps } from "../../lib/converge";
import { readEvents } from "../../lib/store";
import type { PipelineStatus } from "../../lib/model";
import { waitFor } from "../helpers/nats";
import { convergeUntilStatus } from "../helpers/converge";
import {
  openProcessWorld,
  publishJob,
  putConfig,
  putDefinition,
  type ProcessWorld,
} from "../helpers/pipelines";
import { postgresUnavailable, startTestPostgres, type TestPostgres } from "../helpers/postgres";

const unavailable = postgresUnavailable();
if (unavailable) console.warn(`job tests skipped: ${unavailable}`);

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;

describe.skipIf(unavailable !== null)("job pipelines", () => {
  let db: TestPostgres;
  let w: ProcessWorld;
  // The injected clock starts at the real time: the executors' own times (a runner's start) are real.
  let clock = new Date();
  let deps: ConvergeDeps;

  beforeAll(async () => {
    db = await startTestPostgres();
    await db.query("CREATE TABLE job_rows (id serial PRIMARY KEY, job text, name text)");
    w = await openProcessWorld({ REEF_ENGINE: "builtin", JOB_DSN: db.dsn, REEF_EXECUTION_ENV: "JOB_DSN" });
    deps = { ...w.deps, now: () => clock.getTime() };
  });
  afterAll(async () => {
    for (const run of (await w?.executor.listRuns()) ?? []) await w.executor.removeRun(run);
    await w?.destroy();
    await db?.stop();
  });

  /** stdin lines {"name"} → rows of job_rows tagged with the job's id. */
  const insertConfig = (job: string, extra = "") => `input:
  stdin: {}
pipeline:
  processors:
    - mapping: |
        root = this
${extra}
output:
  sql_insert:
    driver: postgres
    dsn: \${JOB_DSN}
    table: job_rows
    columns: [job, name]
    args_mapping: root = [ "${job}", this.name ]
`;
  /** Runs until stopped: generate without a count. */
  const endlessConfig = `input:
  generate:
    mapping: 'root = "tick"'
    interval: 200ms
output:
  drop: {}
`;

  /** Converges until the status satisfies `ok`; when it never does, prints the status and runs. */
  async function convergeUntil(id: string, ok: (s: PipelineStatus) => boolean, what: string) {
    return convergeUntilStatus(deps, id, ok, what, 30_000).catch(async (err) => {
      console.log(JSON.stringify(await w.store.getStatus(id), null, 1), await w.executor.listRuns(id));
      throw err;
    });
  }

  it("a triggered run writes to PostgreSQL, is recorded succeeded and leaves no process", async () => {
    const id = uid("load");
    await publishJob(w, id, insertConfig(id));
    const first = await converge(deps, id);
    expect(first.phase).toBe("idle");

    const { run } = await triggerJob(deps, id, {
      trigger: "manual",
      payload: new TextEncoder().encode('{"name":"ada"}\n{"name":"grace"}\n'),
    });
    expect(run).toMatchObject({ trigger: "manual", state: "running", endedAt: null });

    const status = await convergeUntil(id, (s) => s.runs?.[0]?.state === "succeeded", "the run to succeed");
    expect(status).toMatchObject({ phase: "idle", mode: "job", error: null });
    expect(status.runs![0]).toMatchObject({ run: run.run, exitCode: 0, error: null });
    expect(status.runs![0].endedAt).toEqual(expect.any(String));
    const rows = await db.query("SELECT name FROM job_rows WHERE job = $1 ORDER BY name", [id]);
    expect(rows.map((r) => r.name)).toEqual(["ada", "grace"]);
    expect(await w.executor.listRuns(id)).toEqual([]);

    const events = await readEvents(w.store, { pipeline: id });
    const runOps = events.filter((e) => e.record?.trigger === "run").map((e) => e.record!.event.operation);
    expect(runOps).toEqual(["RUN_START", "RUN_END"]);
  });

  it("a failing run is retried once, then the job is failed with the reason; no restart after", async () => {
    const id = uid("fail");
    await publishJob(w, id, insertConfig(id, `    - mapping: 'root = throw("bad order")'`), { retries: 1 });
    await converge(deps, id);
    await triggerJob(deps, id, { trigger: "manual", payload: new TextEncoder().encode('{"name":"x"}\n') });

    let status = await convergeUntil(id, (s) => s.runs?.[0]?.state === "failed", "the run to fail");
    expect(status.phase).toBe("failed");
    expect(status.runs![0]).toMatchObject({ exitCode: 1, error: { code: "RUN_FAILED" }, attempt: 1 });
    expect(status.runs![0].error!.message).toContain("bad order");
    expect(status.runs![0].retryAt).toEqual(expect.any(String));

    // The retry is due one second later (by the injected clock).
    clock = new Date(clock.getTime() + 1_500);
    await converge(deps, id);
    status = (await w.store.getStatus(id))!;
    expect(status.runs![0]).toMatchObject({ trigger: "retry", attempt: 2, state: "running" });
    expect(status.runs![1].retryAt).toBeUndefined();

    status = await convergeUntil(
      id,
      (s) => s.runs?.[0]?.attempt === 2 && s.runs[0].state === "failed",
      "the retry to fail",
    );
    expect(status.phase).toBe("failed");
    expect(status.error).toMatchObject({ code: "RUN_FAILED" });
    expect(status.runs![0].retryAt).toBeUndefined(); // retries spent

    clock = new Date(clock.getTime() + 3_600_000);
    await converge(deps, id);
    status = (await w.store.getStatus(id))!;
    expect(status.runs).toHaveLength(2);
    expect(await w.executor.listRuns(id)).toEqual([]);
  });

  it("a run past its timeout is stopped and failed", async () => {
    const id = uid("slow");
    await publishJob(w, id, endlessConfig, { timeout: "1h" });
    await converge(deps, id);
    const { run } = await triggerJob(deps, id, { trigger: "manual" });
    await waitFor(
      async () => (await w.executor.listRuns(id)).find((e) => e.state === "running"),
      "the run to start",
    );
    clock = new Date(clock.getTime() + 2 * 3_600_000);
    const r = await converge(deps, id);
    expect(r.actions).toContain(`remove run ${run.run}`);
    const status = (await w.store.getStatus(id))!;
    expect(status.phase).toBe("failed");
    expect(status.runs![0]).toMatchObject({
      run: run.run,
      state: "failed",
      exitCode: 124,
      error: { code: "RUN_TIMEOUT" },
    });
    expect(await w.executor.listRuns(id)).toEqual([]);
  });

  it("the runner enforces the timeout itself", async () => {
    const id = uid("self");
    await publishJob(w, id, endlessConfig, { timeout: "1s" });
    await converge(deps, id);
    await triggerJob(deps, id, { trigger: "manual" });
    // The injected clock stands still: the runner's own timer ends the run.
    const status = await convergeUntil(id, (s) => s.runs?.[0]?.state === "failed", "the run to time out");
    expect(status.runs![0].error).toMatchObject({ code: "RUN_TIMEOUT" });
  });

  it("forbid skips while a run is active; replace replaces it; draft removes every run", async () => {
    const id = uid("conc");
    await publishJob(w, id, endlessConfig, { concurrency: "forbid" });
    await converge(deps, id);
    const first = (await triggerJob(deps, id, { trigger: "manual" })).run;
    const second = (await triggerJob(deps, id, { trigger: "manual" })).run;
    expect(second.state).toBe("skipped");
    expect(second.error!.message).toContain(first.run);
    expect((await w.executor.listRuns(id)).map((e) => e.run)).toEqual([first.run]);

    await putDefinition(w, { id, status: "published", version: "1", mode: "job", concurrency: "replace" });
    const third = (await triggerJob(deps, id, { trigger: "manual" })).run;
    expect(third.state).toBe("running");
    expect((await w.executor.listRuns(id)).map((e) => e.run)).toEqual([third.run]);
    let status = (await w.store.getStatus(id))!;
    expect(status.runs!.map((r) => [r.run, r.state])).toEqual([
      [third.run, "running"],
      [second.run, "skipped"],
      [first.run, "failed"],
    ]);
    expect(status.runs![2].error).toMatchObject({ code: "RUN_REPLACED" });

    const events = await readEvents(w.store, { pipeline: id });
    expect(events.map((e) => e.record?.event.operation)).toEqual(
      expect.arrayContaining(["RUN_START", "RUN_SKIP", "RUN_END"]),
    );

    await putDefinition(w, { id, status: "draft", version: "1", mode: "job" });
    const r = await converge(deps, id);
    expect(r.phase).toBe("absent");
    expect(await w.executor.listRuns(id)).toEqual([]);
    status = (await w.store.getStatus(id))!;
    expect(status.phase).toBe("absent");
  });

  it("a schedule fires once per fire time, by the reconcile's clock", async () => {
    const id = uid("cron");
    // Five-minute fire times from the next boundary on: 2 min after one, just before and just past the next.
    const boundary = (Math.floor(Date.now() / 300_000) + 1) * 300_000;
    clock = new Date(boundary + 120_000);
    await publishJob(w, id, insertConfig(id), { trigger: { schedule: "*/5 * * * *" } });
    await reconcile(deps);
    expect((await w.store.getStatus(id))!.runs ?? []).toEqual([]);
    clock = new Date(boundary + 299_000);
    await reconcile(deps);
    expect((await w.store.getStatus(id))!.runs ?? []).toEqual([]);
    clock = new Date(boundary + 330_000);
    await reconcile(deps);
    const status = (await w.store.getStatus(id))!;
    expect(status.runs!.map((r) => r.trigger)).toEqual(["schedule"]);
    await reconcile(deps); // the same fire time never starts a second run
    expect((await w.store.getStatus(id))!.runs).toHaveLength(1);
    await convergeUntil(id, (s) => s.runs?.[0]?.state === "succeeded", "the scheduled run to succeed");
  });

  it("paused: an active run finishes by itself and is recorded; the schedule starts nothing", async () => {
    const id = uid("pause");
    // About 2 s of work, then the input is exhausted.
    const shortConfig = `input:
  generate:
    mapping: 'root = "tick"'
    interval: 500ms
    count: 4
output:
  drop: {}
`;
    const boundary = (Math.floor(clock.getTime() / 300_000) + 1) * 300_000;
    clock = new Date(boundary + 60_000);
    await publishJob(w, id, shortConfig, { trigger: { schedule: "*/5 * * * *" } });
    await converge(deps, id);
    const { run } = await triggerJob(deps, id, { trigger: "manual" });
    await putDefinition(w, {
      id,
      status: "paused",
      version: "1",
      mode: "job",
      trigger: { schedule: "*/5 * * * *" },
    });
    const r = await converge(deps, id);
    expect(r.actions).toEqual([]); // the active run is left to finish
    expect((await w.executor.listRuns(id)).map((e) => e.run)).toEqual([run.run]);

    clock = new Date(boundary + 330_000); // a fire time passed while paused
    const status = await convergeUntil(id, (s) => s.runs?.[0]?.state === "succeeded", "the run to finish");
    expect(status.runs!.map((x) => [x.run, x.state])).toEqual([[run.run, "succeeded"]]);
    expect(status.phase).toBe("idle");
    await reconcile(deps);
    expect((await w.store.getStatus(id))!.runs).toHaveLength(1);
    expect(await w.executor.listRuns(id)).toEqual([]);
  });

  it("refuses to trigger a stream, a paused job or an invalid definition", async () => {
    const id = uid("refuse");
    await putConfig(w, id, "1", endlessConfig);
    await putDefinition(w, { id, status: "published", version: "1" });
    await expect(triggerJob(deps, id, { trigger: "manual" })).rejects.toMatchObject({ code: "NOT_A_JOB" });
    await putDefinition(w, { id, status: "paused", version: "1", mode: "job" });
    await expect(triggerJob(deps, id, { trigger: "manual" })).rejects.toMatchObject({
      code: "NOT_PUBLISHED",
    });
    await putDefinition(w, { id, status: "published", version: "1", mode: "job", retries: 99 });
    await expect(triggerJob(deps, id, { trigger: "manual" })).rejects.toMatchObject({
      code: "NOT_PUBLISHED",
    });
    const r = await converge(deps, id);
    expect(r.error).toMatchObject({ code: "INVALID_DEFINITION" });
    expect(r.error!.message).toContain("retries");
    await putDefinition(w, { id, status: "published", version: "1", timeout: "5m" });
    expect((await converge(deps, id)).error!.message).toContain('timeout needs mode "job"');
    await putDefinition(w, { id, status: "draft", version: "1" });
    await converge(deps, id);
  });
});
