// Job runs (CONTRACT.md §8) on the ECS executor, with a real NATS store and the in-memory ECS
// behind aws-sdk-client-mock: a run is one task started with RunTask (no service) from the
// version's task definition; its end (exit code, ECS's reason) is read from DescribeTasks.
import { randomBytes } from "node:crypto";
import {
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type RunTaskCommandInput,
} from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { converge, triggerJob, type ConvergeDeps } from "../../../lib/converge";
import { createEcsExecutorWithClient, type EcsExecutor } from "../../../lib/executors/ecs";
import { openTestStore, type TestStore } from "../../helpers/nats";
import { putConfig, putDefinition } from "../../helpers/pipelines";
import { FakeEcs, TEST_ECS_CONFIG } from "./fake-ecs";

let t: TestStore;
let ecs: FakeEcs;
let executor: EcsExecutor;
let deps: ConvergeDeps;

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;
const JOB = "input:\n  stdin: {}\noutput:\n  drop: {}\n";

beforeAll(async () => {
  t = await openTestStore();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(() => {
  ecs?.mock.restore();
  ecs = new FakeEcs("reef-test");
  executor = createEcsExecutorWithClient(ecs.client, TEST_ECS_CONFIG, {
    env: { ...t.env, NATS_URL: "nats://nats.internal:4222", REEF_ENGINE: "auto" },
    retry: { sleep: async () => undefined },
    now: ecs.clock.now,
    listCacheMs: 0,
  });
  deps = { store: t.store, executor };
});

async function publishJob(id: string, fields: Record<string, unknown> = {}) {
  await putConfig(t, id, "1", JOB);
  await putDefinition(t, { id, status: "published", version: "1", mode: "job", ...fields });
}

function runTaskArns(): string[] {
  return [...ecs.runTasks.keys()];
}

describe("job runs on the ECS executor", () => {
  it("a trigger runs the version's task definition with RunTask (no service); exit 0 → succeeded", async () => {
    const id = uid("ejob");
    await publishJob(id);
    expect((await converge(deps, id)).phase).toBe("idle");

    const { run } = await triggerJob(deps, id, { trigger: "manual", payload: Buffer.from("a\nb\n") });
    expect(run.state).toBe("running");
    expect(ecs.calls(CreateServiceCommand)).toEqual([]);
    const [input] = ecs.calls<RunTaskCommandInput>(RunTaskCommand);
    expect(input).toMatchObject({
      cluster: "reef-test",
      launchType: "FARGATE",
      count: 1,
      startedBy: "reef-run",
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-a", "subnet-b"] } },
    });
    expect(input.taskDefinition).toContain(`:task-definition/reef-${id}:1`);
    expect(input.tags).toEqual(expect.arrayContaining([{ key: "reef.run", value: run.run }]));
    const environment = input.overrides!.containerOverrides![0].environment!;
    expect(environment).toEqual(
      expect.arrayContaining([
        { name: "REEF_RUN_ID", value: run.run },
        { name: "REEF_RUN_STDIN", value: Buffer.from("a\nb\n").toString("base64") },
      ]),
    );
    let status = (await t.store.getStatus(id))!;
    expect(status).toMatchObject({ phase: "running", executor: "ecs" });
    expect(status.executions).toEqual([expect.objectContaining({ run: run.run, state: "pending" })]);

    const [arn] = runTaskArns();
    ecs.startRunTask(arn);
    await converge(deps, id);
    expect((await t.store.getStatus(id))!.executions).toEqual([
      expect.objectContaining({ run: run.run, state: "running" }),
    ]);

    ecs.endRunTask(arn, { exitCode: 0 });
    const r = await converge(deps, id);
    expect(r.actions).toContain(`remove run ${run.run}`);
    status = (await t.store.getStatus(id))!;
    expect(status.phase).toBe("idle");
    expect(status.runs![0]).toMatchObject({ run: run.run, state: "succeeded", exitCode: 0, error: null });
    // Removed: a stopped task ECS still lists is marked and no longer reported; nothing was stopped.
    expect(await executor.listRuns(id)).toEqual([]);
    expect(ecs.runTasks.get(arn)!.tags).toEqual(
      expect.arrayContaining([{ key: "reef.removed", value: "true" }]),
    );
    expect(ecs.calls(StopTaskCommand)).toEqual([]);

    // The next run reuses the version's task definition.
    await triggerJob(deps, id, { trigger: "manual" });
    expect(ecs.calls(RegisterTaskDefinitionCommand)).toHaveLength(1);
    expect(ecs.calls(RunTaskCommand)).toHaveLength(2);
  });

  it("a failed run has the runner's exit code and ECS's reason; nothing restarts it", async () => {
    const id = uid("efail");
    await publishJob(id);
    await converge(deps, id);
    const { run } = await triggerJob(deps, id, { trigger: "manual" });
    const [arn] = runTaskArns();
    ecs.startRunTask(arn);
    ecs.endRunTask(arn, { exitCode: 3 });
    await converge(deps, id);
    let status = (await t.store.getStatus(id))!;
    expect(status.phase).toBe("failed");
    expect(status.runs![0]).toMatchObject({ run: run.run, state: "failed", exitCode: 3 });
    expect(status.runs![0].error).toMatchObject({ code: "ENGINE_FAILED" });
    expect(status.runs![0].error!.message).toContain("the runner exited with code 3");
    expect(status.runs![0].error!.message).toContain(`its log: /reef/test/executions reef-${id}/runner/`);

    // A task that never ran (the image could not be pulled): failed with ECS's reason.
    const second = (await triggerJob(deps, id, { trigger: "manual" })).run;
    const arn2 = runTaskArns().find((a) => a !== arn)!;
    ecs.endRunTask(arn2, {
      stopCode: "TaskFailedToStart",
      stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
    });
    await converge(deps, id);
    await converge(deps, id);
    status = (await t.store.getStatus(id))!;
    expect(status.runs![0]).toMatchObject({ run: second.run, state: "failed", exitCode: 1 });
    expect(status.runs![0].error).toMatchObject({ code: "EXECUTOR_ERROR" });
    expect(status.runs![0].error!.message).toContain("CannotPullContainerError");
    expect(ecs.calls(RunTaskCommand)).toHaveLength(2);
  });

  it("draft stops an active run's task and removes the job's task definitions", async () => {
    const id = uid("edraft");
    await publishJob(id);
    await converge(deps, id);
    await triggerJob(deps, id, { trigger: "manual" });
    const [arn] = runTaskArns();
    ecs.startRunTask(arn);

    await putDefinition(t, { id, status: "draft", version: "1", mode: "job" });
    await converge(deps, id);
    expect(ecs.calls<{ task: string }>(StopTaskCommand).map((c) => c.task)).toEqual([arn]);
    expect(ecs.runTasks.get(arn)!.lastStatus).toBe("STOPPED");
    expect(await executor.listRuns(id)).toEqual([]);
    expect([...ecs.taskDefs.values()].filter((td) => td.family === `reef-${id}`)).toEqual([]);
  });

  it("refuses a payload larger than ECS's overrides take, with a clear error; RunTask failures fail the run", async () => {
    const id = uid("ebig");
    await publishJob(id);
    await converge(deps, id);
    const big = await triggerJob(deps, id, { trigger: "manual", payload: Buffer.alloc(7000, "x") });
    expect(big.run).toMatchObject({ state: "failed", error: { code: "EXECUTOR_ERROR" } });
    expect(big.run.error!.message).toMatch(/overrides take \d+ characters, ECS accepts 8192/);
    expect(ecs.calls(RunTaskCommand)).toEqual([]);

    ecs.fail(
      "RunTask",
      Object.assign(new Error("No Container Instances were found in your cluster."), {
        name: "InvalidParameterException",
        $metadata: {},
      }),
    );
    const refused = await triggerJob(deps, id, { trigger: "manual" });
    expect(refused.run).toMatchObject({ state: "failed", error: { code: "EXECUTOR_ERROR" } });
    expect(refused.run.error!.message).toContain("No Container Instances");
  });
});
