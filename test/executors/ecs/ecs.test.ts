// The ECS executor driven through converge()/reconcile() with a real NATS store and an in-memory
// ECS behind aws-sdk-client-mock: every lifecycle transition, every error path, and the requests.
import { randomBytes } from "node:crypto";
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  InvalidParameterException,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  ServiceNotActiveException,
  ServiceNotFoundException,
  TagResourceCommand,
  UpdateServiceCommand,
  type CreateServiceCommandInput,
  type RegisterTaskDefinitionCommandInput,
  type UpdateServiceCommandInput,
} from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { converge, reconcile, type ConvergeDeps } from "../../../lib/converge";
import { createEcsExecutorWithClient, type EcsConfig, type EcsExecutor } from "../../../lib/executors/ecs";
import { configDigest } from "../../../lib/store";
import { openTestStore, type TestStore } from "../../helpers/nats";
import { putConfig, putDefinition, sampleConfig } from "../../helpers/pipelines";
import { FakeEcs, TEST_ECS_CONFIG, TEST_NATS_SECRET, throttling } from "./fake-ecs";

const SECRET = TEST_NATS_SECRET;
const CONFIG = TEST_ECS_CONFIG;

// Commands that change something in ECS (for "a repeated converge changes nothing").
const MUTATING = [
  RegisterTaskDefinitionCommand,
  CreateServiceCommand,
  UpdateServiceCommand,
  TagResourceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DeleteTaskDefinitionsCommand,
];

let t: TestStore;
let ecs: FakeEcs;
let executor: EcsExecutor;
let deps: ConvergeDeps;
let env: Record<string, string>;
const sleeps: number[] = [];

function newExecutor(config: EcsConfig = CONFIG): EcsExecutor {
  return createEcsExecutorWithClient(ecs.client, config, {
    env,
    retry: { sleep: async (ms) => void sleeps.push(ms) },
    now: ecs.clock.now,
    // Each test step changes the fake ECS and converges right away: always ask it.
    listCacheMs: 0,
  });
}

beforeAll(async () => {
  t = await openTestStore();
  env = {
    ...t.env,
    NATS_URL: "nats://127.0.0.1:4222",
    REEF_RUNNER_NATS_URL: "nats://nats.internal:4222",
    NATS_TOKEN: "s3cret-token",
    REEF_ENGINE: "auto",
  };
});
afterAll(async () => {
  await t?.close();
});
beforeEach(() => {
  ecs?.mock.restore();
  ecs = new FakeEcs("reef-test");
  executor = newExecutor();
  deps = { store: t.store, executor };
  sleeps.length = 0;
});

const uid = (p = "p") => `${p}-${randomBytes(3).toString("hex")}`;
const arnOf = (id: string) => `arn:aws:ecs:us-east-1:123456789012:service/reef-test/reef-${id}`;
const td = (id: string, rev: number) =>
  `arn:aws:ecs:us-east-1:123456789012:task-definition/reef-${id}:${rev}`;
const mutations = () => MUTATING.reduce((n, c) => n + ecs.calls(c).length, 0);
const tagsOf = (list: { key?: string; value?: string }[] | undefined) =>
  Object.fromEntries((list ?? []).map((x) => [x.key, x.value]));

async function publish(id: string, version: string, replicas = 1, yaml = sampleConfig(`${id}-${version}`)) {
  if (!(await t.store.getConfig(id, version))) await putConfig(t, id, version, yaml);
  await putDefinition(t, { id, status: "published", version, replicas });
  return configDigest((await t.store.getConfig(id, version))!.bytes);
}

/** Publishes, converges, lets ECS settle and converges again: the pipeline runs. */
async function running(id: string, version = "1", replicas = 1) {
  await publish(id, version, replicas);
  await converge(deps, id);
  ecs.settle();
  const r = await converge(deps, id);
  expect(r.phase).toBe("running");
  ecs.resetHistory();
}

describe("ECS executor lifecycle through converge()", () => {
  it("create: registers one task definition and creates the service with the exact requests", async () => {
    const id = uid();
    const digest = await publish(id, "1", 2);
    const r = await converge(deps, id);
    expect(r.error).toBeNull();
    expect(r.phase).toBe("pending");
    expect(r.actions).toEqual([`start ${id}#0 v1`, `start ${id}#1 v1`]);

    const [reg] = ecs.calls<RegisterTaskDefinitionCommandInput>(RegisterTaskDefinitionCommand);
    expect(ecs.calls(RegisterTaskDefinitionCommand)).toHaveLength(1);
    expect(reg).toMatchObject({
      family: `reef-${id}`,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      taskRoleArn: CONFIG.taskRoleArn,
      executionRoleArn: CONFIG.executionRoleArn,
    });
    expect(tagsOf(reg.tags)).toMatchObject({
      "reef.pipeline": id,
      "reef.version": "1",
      "reef.digest": digest,
    });
    expect(tagsOf(reg.tags)["reef.spec"]).toMatch(/^[0-9a-f]{32}$/);
    const [container] = reg.containerDefinitions!;
    expect(container.image).toBe(CONFIG.image);
    // Hardened like the Docker executor's containers: non-root, no capabilities, read-only root,
    // with an ephemeral volume as its only writable place.
    expect(container).toMatchObject({
      user: "10001:10001",
      readonlyRootFilesystem: true,
      linuxParameters: { capabilities: { drop: ["ALL"] }, initProcessEnabled: true },
      mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
    });
    expect(container.privileged).toBeUndefined();
    expect(reg.volumes).toEqual([{ name: "tmp" }]);
    const envMap = Object.fromEntries(container.environment!.map((e) => [e.name, e.value]));
    expect(envMap).toMatchObject({
      PIPELINE_ID: id,
      PIPELINE_VERSION: "1",
      PIPELINE_DIGEST: digest,
      NATS_URL: "nats://nats.internal:4222",
      REEF_CONFIGS_BUCKET: t.names.configs,
      REEF_ENGINE: "auto",
    });
    // Credentials only through Secrets Manager; one definition for every replica.
    expect(envMap).not.toHaveProperty("NATS_TOKEN");
    expect(envMap).not.toHaveProperty("PIPELINE_REPLICA");
    expect(container.secrets).toEqual([{ name: "NATS_TOKEN", valueFrom: `${SECRET}:NATS_TOKEN::` }]);
    expect(container.logConfiguration).toEqual({
      logDriver: "awslogs",
      options: {
        "awslogs-group": CONFIG.logGroup,
        "awslogs-region": "us-east-1",
        "awslogs-stream-prefix": `reef-${id}`,
      },
    });

    const creates = ecs.calls<CreateServiceCommandInput>(CreateServiceCommand);
    expect(creates).toHaveLength(1);
    expect(creates[0]).toMatchObject({
      cluster: "reef-test",
      serviceName: `reef-${id}`,
      taskDefinition: td(id, 1),
      desiredCount: 2,
      launchType: "FARGATE",
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ["subnet-a", "subnet-b"],
          securityGroups: ["sg-1"],
          assignPublicIp: "DISABLED",
        },
      },
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
      propagateTags: "TASK_DEFINITION",
    });
    expect(tagsOf(creates[0].tags)).toEqual({
      "reef.pipeline": id,
      "reef.version": "1",
      "reef.digest": digest,
    });
    expect(creates[0].clientToken).toMatch(/^[0-9a-f]{32}$/);

    // Pending until ECS reports the tasks running; then running, and repeated converges change nothing.
    const status = (await t.store.getStatus(id))!;
    expect(status.executions.map((e) => [e.id, e.state])).toEqual([
      [`${arnOf(id)}#0`, "pending"],
      [`${arnOf(id)}#1`, "pending"],
    ]);
    ecs.settle();
    ecs.resetHistory();
    for (let i = 0; i < 3; i++) {
      const again = await converge(deps, id);
      expect(again.phase).toBe("running");
      expect(again.actions).toEqual([]);
    }
    expect(mutations()).toBe(0);
    expect((await t.store.getStatus(id))!.executions.map((e) => e.state)).toEqual(["running", "running"]);
  });

  it("a repeated converge before ECS settles sends nothing new (pending replicas are kept)", async () => {
    const id = uid();
    await publish(id, "1", 1);
    await converge(deps, id);
    ecs.resetHistory();
    const again = await converge(deps, id);
    expect(again.phase).toBe("pending");
    expect(mutations()).toBe(0);
  });

  it("new version: one new revision, the service updated to it, old tasks reported until gone; going back reuses the old revision", async () => {
    const id = uid();
    await running(id, "1", 2);
    const digest2 = await publish(id, "2", 2);
    const r = await converge(deps, id);
    expect(r.error).toBeNull();
    expect(r.phase).toBe("pending");
    expect(ecs.calls(RegisterTaskDefinitionCommand)).toHaveLength(1);
    const [update] = ecs.calls<UpdateServiceCommandInput>(UpdateServiceCommand);
    expect(update).toMatchObject({
      cluster: "reef-test",
      service: `reef-${id}`,
      taskDefinition: td(id, 2),
      desiredCount: 2,
    });
    expect(update.networkConfiguration?.awsvpcConfiguration?.subnets).toEqual(["subnet-a", "subnet-b"]);
    const [tag] = ecs.calls<{ resourceArn: string; tags: { key: string; value: string }[] }>(
      TagResourceCommand,
    );
    expect(tag.resourceArn).toBe(arnOf(id));
    expect(tagsOf(tag.tags)).toEqual({ "reef.pipeline": id, "reef.version": "2", "reef.digest": digest2 });
    // During the rollout the v1 tasks are still there: not yet converged.
    const during = (await t.store.getStatus(id))!;
    expect(during.executions.filter((e) => e.version === "1").length).toBe(2);

    ecs.settle();
    ecs.resetHistory();
    const after = await converge(deps, id);
    expect(after.phase).toBe("running");
    expect((await t.store.getStatus(id))!.executions.map((e) => e.version)).toEqual(["2", "2"]);
    expect(mutations()).toBe(0);

    // Back to v1: its revision (digest tag) exists, so nothing is registered.
    await putDefinition(t, { id, status: "published", version: "1", replicas: 2 });
    await converge(deps, id);
    expect(ecs.calls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.calls<UpdateServiceCommandInput>(UpdateServiceCommand)[0].taskDefinition).toBe(td(id, 1));
  });

  it("scale: only desiredCount changes, no new revision", async () => {
    const id = uid();
    await running(id, "1", 1);
    await publish(id, "1", 3);
    const up = await converge(deps, id);
    expect(up.actions).toEqual([`start ${id}#1 v1`, `start ${id}#2 v1`]);
    expect(ecs.calls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    const [update] = ecs.calls<UpdateServiceCommandInput>(UpdateServiceCommand);
    expect(update).toMatchObject({ service: `reef-${id}`, taskDefinition: td(id, 1), desiredCount: 3 });
    expect(update.networkConfiguration).toBeUndefined();
    expect(ecs.calls(TagResourceCommand)).toHaveLength(0); // same version: tags already right
    expect((await t.store.getStatus(id))!.executions.map((e) => e.state)).toEqual([
      "running",
      "pending",
      "pending",
    ]);
    ecs.settle();
    expect((await converge(deps, id)).phase).toBe("running");

    ecs.resetHistory();
    await publish(id, "1", 1);
    const down = await converge(deps, id);
    expect(down.actions).toEqual([
      expect.stringMatching(new RegExp(`^remove ${id}#1 v1`)),
      expect.stringMatching(new RegExp(`^remove ${id}#2 v1`)),
    ]);
    expect(ecs.calls<UpdateServiceCommandInput>(UpdateServiceCommand)).toEqual([
      expect.objectContaining({ desiredCount: 1, taskDefinition: td(id, 1) }),
    ]);
    ecs.settle();
    expect((await converge(deps, id)).phase).toBe("running");
  });

  it("pause keeps the service at desiredCount 0; publish again resumes it", async () => {
    const id = uid();
    await running(id, "1", 2);
    await putDefinition(t, { id, status: "paused", version: "1", replicas: 2 });
    const paused = await converge(deps, id);
    expect(paused.error).toBeNull();
    expect(ecs.calls<UpdateServiceCommandInput>(UpdateServiceCommand)).toEqual([
      { cluster: "reef-test", service: `reef-${id}`, desiredCount: 0 },
    ]);
    expect(ecs.calls(DeleteServiceCommand)).toHaveLength(0);
    // Tasks still stopping: not yet `stopped`.
    expect(paused.phase).toBe("pending");
    ecs.settle();
    const stopped = await converge(deps, id);
    expect(stopped.phase).toBe("stopped");
    expect((await t.store.getStatus(id))!.executions).toEqual([
      expect.objectContaining({ id: `${arnOf(id)}#0`, state: "stopped", version: "1" }),
    ]);
    expect(ecs.services.get(`reef-${id}`)?.status).toBe("ACTIVE");

    ecs.resetHistory();
    await publish(id, "1", 2);
    const resumed = await converge(deps, id);
    expect(resumed.phase).toBe("pending");
    expect(ecs.calls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.calls<UpdateServiceCommandInput>(UpdateServiceCommand)).toEqual([
      expect.objectContaining({ desiredCount: 2, taskDefinition: td(id, 1) }),
    ]);
    ecs.settle();
    expect((await converge(deps, id)).phase).toBe("running");
  });

  it("published with replicas 0 settles at running with no execution, from new, running and paused alike", async () => {
    const fresh = uid();
    await publish(fresh, "1", 0);
    expect(await converge(deps, fresh)).toMatchObject({ phase: "running", actions: [], error: null });
    expect(ecs.calls(CreateServiceCommand)).toHaveLength(0);

    const scaled = uid();
    const paused = uid();
    await running(scaled, "1", 2);
    await running(paused, "1", 1);
    await putDefinition(t, { id: paused, status: "paused", version: "1" });
    await converge(deps, paused);
    ecs.settle();
    expect((await converge(deps, paused)).phase).toBe("stopped");
    for (const id of [scaled, paused]) {
      await publish(id, "1", 0);
      const r = await converge(deps, id);
      expect(r.error).toBeNull();
      ecs.settle();
      expect(await converge(deps, id)).toMatchObject({ phase: "running", error: null });
      expect((await t.store.getStatus(id))!.executions).toEqual([]);
      // Stable: later converges find nothing to do and change nothing in ECS.
      ecs.resetHistory();
      expect(await converge(deps, id)).toMatchObject({ phase: "running", actions: [], error: null });
      expect(mutations()).toBe(0);
    }
    // And back up.
    await publish(scaled, "1", 1);
    await converge(deps, scaled);
    ecs.settle();
    expect((await converge(deps, scaled)).phase).toBe("running");
  });

  it("draft deletes the service (force) and deregisters then deletes every revision of the family, and only that family", async () => {
    const id = uid();
    await running(id, "1", 1);
    await publish(id, "2", 1);
    await converge(deps, id);
    ecs.settle();
    await converge(deps, id);
    // Another pipeline whose family starts with ours must survive…
    const neighbour = `${id}-x`;
    await running(neighbour, "1", 1);
    // …and so must the same pipeline's revision of another stage (families are account-wide).
    const otherStage = await ecs.client.send(
      new RegisterTaskDefinitionCommand({
        family: `reef-${id}`,
        containerDefinitions: [{ name: "runner", image: "x" }],
        tags: [
          { key: "reef.pipeline", value: id },
          { key: "reef.version", value: "1" },
          { key: "reef.digest", value: "d" },
          { key: "reef.cluster", value: "reef-other-stage" },
        ],
      }),
    );
    ecs.resetHistory();

    await putDefinition(t, { id, status: "draft" });
    const r = await converge(deps, id);
    expect(r.error).toBeNull();
    expect(ecs.calls(DeleteServiceCommand)).toEqual([
      { cluster: "reef-test", service: `reef-${id}`, force: true },
    ]);
    expect(
      ecs
        .calls<{ taskDefinition: string }>(DeregisterTaskDefinitionCommand)
        .map((c) => c.taskDefinition)
        .sort(),
    ).toEqual([td(id, 1), td(id, 2)].sort());
    expect(
      ecs
        .calls<{ taskDefinitions: string[] }>(DeleteTaskDefinitionsCommand)
        .flatMap((c) => c.taskDefinitions)
        .sort(),
    ).toEqual([td(id, 1), td(id, 2)].sort());
    expect([...ecs.taskDefs.values()].filter((x) => x.family === `reef-${id}`).map((x) => x.arn)).toEqual([
      otherStage.taskDefinition!.taskDefinitionArn,
    ]);
    expect([...ecs.taskDefs.values()].filter((x) => x.family === `reef-${neighbour}`)).toHaveLength(1);
    expect(ecs.services.get(`reef-${neighbour}`)?.status).toBe("ACTIVE");
    // Draining: its tasks are still there.
    expect(r.phase).toBe("pending");
    ecs.settle();
    const gone = await converge(deps, id);
    expect(gone.phase).toBe("absent");
    expect((await t.store.getStatus(id))!.executions).toEqual([]);
  });

  it("delete of the key removes everything and then the status entry", async () => {
    const id = uid();
    await running(id, "1", 1);
    await t.store.deleteDefinition(id);
    await converge(deps, id);
    expect(ecs.calls(DeleteServiceCommand)).toHaveLength(1);
    ecs.settle();
    expect((await converge(deps, id)).phase).toBe("deleted");
    expect(await t.store.getStatus(id)).toBeNull();
    expect([...ecs.taskDefs.values()].filter((x) => x.family === `reef-${id}`)).toEqual([]);
  });

  it("republishing while the old service drains waits for the next converge, then creates it", async () => {
    const id = uid();
    await running(id, "1", 1);
    await putDefinition(t, { id, status: "draft" });
    await converge(deps, id);
    ecs.resetHistory();
    await publish(id, "1", 1);
    const r = await converge(deps, id);
    expect(r.error).toBeNull();
    expect(r.phase).toBe("pending");
    expect(ecs.calls(CreateServiceCommand)).toHaveLength(0);
    ecs.settle(); // drained and gone
    const next = await converge(deps, id);
    expect(next.error).toBeNull();
    expect(ecs.calls(CreateServiceCommand)).toHaveLength(1);
    // The revisions were deleted with the draft: a new one is registered.
    expect(ecs.calls(RegisterTaskDefinitionCommand)).toHaveLength(1);
  });
});

describe("orphans and listing", () => {
  it("reconcile removes services whose pipeline has no definition, across ListServices pages, and never touches foreign services", async () => {
    const ids = [uid("o"), uid("o"), uid("o")];
    for (const id of ids) await running(id);
    ecs.addForeignService("reef-foreign");
    ecs.addForeignService("unrelated");
    // Definitions vanish without a converge (e.g. a lost event, or the bridge was down).
    await t.store.purgeDefinition(ids[0]);
    await t.store.purgeDefinition(ids[2]);
    const listed = await executor.list();
    expect(new Set(listed.map((e) => e.pipeline))).toEqual(new Set(ids));
    expect(ecs.calls(ListServicesCommand).length).toBeGreaterThanOrEqual(3); // paginated

    ecs.resetHistory();
    const r = await reconcile(deps);
    expect(r.failures).toEqual([]);
    expect(r.orphans).toEqual(expect.arrayContaining([ids[0], ids[2]]));
    expect(
      ecs
        .calls<{ service: string }>(DeleteServiceCommand)
        .map((c) => c.service)
        .sort(),
    ).toEqual([`reef-${ids[0]}`, `reef-${ids[2]}`].sort());
    expect(ecs.services.get(`reef-${ids[1]}`)?.status).toBe("ACTIVE");
    expect(ecs.services.get("reef-foreign")?.status).toBe("ACTIVE");
  });

  it("converge's settle polling reuses an observation for listCacheMs, and never across an apply", async () => {
    const id = uid();
    await publish(id, "1", 1);
    let clock = 1_000_000;
    const cached = createEcsExecutorWithClient(ecs.client, CONFIG, {
      env,
      listCacheMs: 1_000,
      now: () => clock,
    });
    const d = { store: t.store, executor: cached };
    await converge(d, id); // list, apply (creates), list again: 2 describes by list + 1 by apply
    const describes = () => ecs.calls(DescribeServicesCommand).length;
    expect(describes()).toBe(3);
    expect((await cached.list(id)).map((e) => e.state)).toEqual(["pending"]);
    expect(describes()).toBe(3); // reused
    ecs.settle();
    clock += 999;
    expect((await cached.list(id)).map((e) => e.state)).toEqual(["pending"]);
    clock += 1;
    expect((await cached.list(id)).map((e) => e.state)).toEqual(["running"]);
    expect(describes()).toBe(4);
    // An apply forgets the observation at once.
    await putDefinition(t, { id, status: "paused", version: "1" });
    await converge(d, id);
    const after = await cached.list(id);
    expect(after.map((e) => e.state)).toEqual(["pending"]);
    ecs.settle();
    clock += 1_000;
    expect((await cached.list(id)).map((e) => e.state)).toEqual(["stopped"]);
  });

  it("list(id) describes one service with its tags", async () => {
    const id = uid();
    await running(id, "1", 2);
    ecs.resetHistory();
    const list = await executor.list(id);
    expect(list.map((e) => e.id)).toEqual([`${arnOf(id)}#0`, `${arnOf(id)}#1`]);
    expect(ecs.calls(DescribeServicesCommand)).toEqual([
      { cluster: "reef-test", services: [`reef-${id}`], include: ["TAGS"] },
    ]);
    expect(ecs.calls(ListServicesCommand)).toHaveLength(0);
  });
});

describe("error paths", () => {
  it("a failed deployment is reported as failed with ECS's reason and latest event", async () => {
    const id = uid();
    await publish(id, "1", 1);
    await converge(deps, id);
    ecs.breakDeployment(
      `reef-${id}`,
      `(service reef-${id}) failed to launch a task with (error ECS was unable to assume the role).`,
    );
    const r = await converge(deps, id);
    expect(r.phase).toBe("failed");
    expect(r.error?.code).toBe("EXECUTOR_ERROR");
    expect(r.error?.message).toMatch(/circuit breaker/);
    expect(r.error?.message).toMatch(/unable to assume the role/);
    // A new version gets a new deployment and the failure is not carried over.
    await publish(id, "2", 1);
    const next = await converge(deps, id);
    expect(next.phase).toBe("pending");
    expect(next.error).toBeNull();
  });

  it("a runner that exits with an error is reported failed, with the exit code, ECS's reason and where its log is", async () => {
    const id = uid();
    await publish(id, "1", 1);
    await converge(deps, id);
    ecs.crashTask(`reef-${id}`, {
      stopCode: "EssentialContainerExited",
      stoppedReason: "Essential container in task exited",
      exitCode: 3,
    });
    const r = await converge(deps, id);
    expect(r.phase).toBe("failed");
    expect(r.error?.code).toBe("ENGINE_FAILED");
    expect(r.error?.message).toMatch(
      /stopped: Essential container in task exited; runner exited with code 3/,
    );
    expect(r.error?.message).toContain(`its log: ${CONFIG.logGroup} reef-${id}/runner/`);
    // Once a task runs, the old failure is not the story any more.
    ecs.settle();
    expect((await converge(deps, id)).phase).toBe("running");
  });

  it("a task that cannot start (secrets, image) is reported failed with ECS's reason; scheduler stops are not failures", async () => {
    const id = uid();
    await running(id, "1", 1);
    // Scale-in and pauses stop tasks too: not failures.
    ecs.crashTask(`reef-${id}`, {
      stopCode: "ServiceSchedulerInitiated",
      stoppedReason: "Scaling activity",
      exitCode: 143,
    });
    await publish(id, "1", 2);
    const scaling = await converge(deps, id);
    expect(scaling.phase).toBe("pending");
    expect(scaling.error).toBeNull();

    const reason =
      "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed";
    ecs.crashTask(`reef-${id}`, { stopCode: "TaskFailedToStart", stoppedReason: reason });
    const failed = await converge(deps, id);
    expect(failed.phase).toBe("failed");
    expect(failed.error).toEqual({ code: "EXECUTOR_ERROR", message: expect.stringContaining(reason) });
    expect(ecs.calls(ListTasksCommand)[0]).toEqual({
      cluster: "reef-test",
      serviceName: `reef-${id}`,
      desiredStatus: "STOPPED",
      maxResults: 20,
    });
  });

  it("a deployment ECS gave up on is started again once it is old enough, not before", async () => {
    const id = uid();
    await publish(id, "1", 1);
    const ex = createEcsExecutorWithClient(ecs.client, CONFIG, {
      env,
      listCacheMs: 0,
      now: ecs.clock.now,
      retryFailedAfterMs: 300_000,
    });
    const d = { store: t.store, executor: ex };
    await converge(d, id);
    ecs.breakDeployment(`reef-${id}`, `(service reef-${id}) was unable to place a task.`);
    const failedAt = ecs.services.get(`reef-${id}`)!.deployments![0].updatedAt!.getTime();
    ecs.resetHistory();

    ecs.clock.set(failedAt + 60_000);
    const early = await converge(d, id);
    expect(early.phase).toBe("failed");
    expect(ecs.calls(UpdateServiceCommand)).toHaveLength(0);

    ecs.clock.set(failedAt + 300_000);
    const retried = await converge(d, id);
    expect(ecs.calls(UpdateServiceCommand)).toEqual([
      expect.objectContaining({ taskDefinition: td(id, 1), desiredCount: 1, forceNewDeployment: true }),
    ]);
    expect(ecs.calls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(retried.phase).toBe("pending");
    expect(retried.error).toBeNull();
  });

  it("throttling is retried with capped backoff", async () => {
    const id = uid();
    await publish(id, "1", 1);
    ecs.fail("CreateService", throttling(), throttling());
    const r = await converge(deps, id);
    expect(r.error).toBeNull();
    expect(ecs.calls(CreateServiceCommand)).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(0);
  });

  it("gives up after the capped number of attempts and reports EXECUTOR_ERROR", async () => {
    const id = uid();
    await publish(id, "1", 1);
    ecs.fail("CreateService", ...Array.from({ length: 10 }, throttling));
    const r = await converge(deps, id);
    expect(r.phase).toBe("failed");
    expect(r.error).toEqual({
      code: "EXECUTOR_ERROR",
      message: expect.stringMatching(/CreateService.*ThrottlingException/),
    });
    expect(ecs.calls(CreateServiceCommand)).toHaveLength(5);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(3_000);
    // The next converge (the retry) completes it without a second revision.
    ecs.faults.clear();
    const again = await converge(deps, id);
    expect(again.error).toBeNull();
    expect(ecs.calls(RegisterTaskDefinitionCommand)).toHaveLength(1);
  });

  it("a concurrent creator winning the race (InvalidParameterException) is not an error", async () => {
    const id = uid();
    await publish(id, "1", 1);
    ecs.fail("CreateService", () => {
      // Someone else created it meanwhile with 2 replicas.
      const created = ecs.calls<CreateServiceCommandInput>(CreateServiceCommand).at(-1)!;
      ecs.services.set(`reef-${id}`, {
        serviceName: `reef-${id}`,
        serviceArn: arnOf(id),
        status: "ACTIVE",
        taskDefinition: created.taskDefinition,
        desiredCount: 2,
        runningCount: 0,
        pendingCount: 2,
        deployments: [
          { id: "d0", status: "PRIMARY", taskDefinition: created.taskDefinition, desiredCount: 2 },
        ],
        tags: created.tags,
      });
      return new InvalidParameterException({
        $metadata: {},
        message: "Creation of service was not idempotent.",
      });
    });
    const r = await converge(deps, id);
    expect(r.error).toBeNull();
    expect(ecs.calls<UpdateServiceCommandInput>(UpdateServiceCommand)).toEqual([
      expect.objectContaining({ desiredCount: 1 }),
    ]);
  });

  it("a service deleted between describe and update (ServiceNotFoundException) is created again", async () => {
    const id = uid();
    await running(id, "1", 1);
    await publish(id, "1", 2);
    ecs.fail("UpdateService", () => {
      ecs.services.delete(`reef-${id}`);
      return new ServiceNotFoundException({ $metadata: {}, message: "Service not found." });
    });
    const r = await converge(deps, id);
    expect(r.error).toBeNull();
    expect(ecs.calls<CreateServiceCommandInput>(CreateServiceCommand)).toEqual([
      expect.objectContaining({ serviceName: `reef-${id}`, desiredCount: 2 }),
    ]);
  });

  it("a service that started draining meanwhile (ServiceNotActiveException) is left for the next converge", async () => {
    const id = uid();
    await running(id, "1", 1);
    await putDefinition(t, { id, status: "paused", version: "1" });
    ecs.fail("UpdateService", () => {
      ecs.services.get(`reef-${id}`)!.status = "DRAINING";
      return new ServiceNotActiveException({ $metadata: {}, message: "Service was not ACTIVE." });
    });
    const r = await converge(deps, id);
    expect(r.error).toBeNull();
    expect(r.phase).toBe("pending");
  });

  it("a delete racing another delete (ServiceNotFoundException) still cleans up the revisions", async () => {
    const id = uid();
    await running(id, "1", 1);
    await putDefinition(t, { id, status: "draft" });
    ecs.fail("DeleteService", () => {
      ecs.services.delete(`reef-${id}`);
      return new ServiceNotFoundException({ $metadata: {}, message: "Service not found." });
    });
    const r = await converge(deps, id);
    expect(r.error).toBeNull();
    expect(r.phase).toBe("absent");
    expect([...ecs.taskDefs.values()].filter((x) => x.family === `reef-${id}`)).toEqual([]);
  });

  it("a revision that cannot be deleted is reported, with ECS's reason", async () => {
    const id = uid();
    await running(id, "1", 1);
    await putDefinition(t, { id, status: "draft" });
    const reason = "The specified task definition is in use.";
    ecs.mock.on(DeleteTaskDefinitionsCommand).resolves({
      $metadata: {},
      failures: [{ arn: td(id, 1), reason }],
    });
    const r = await converge(deps, id);
    expect(r.phase).toBe("failed");
    expect(r.error).toEqual({ code: "EXECUTOR_ERROR", message: expect.stringContaining(reason) });
  });

  it("never adopts a same-named service without reef tags", async () => {
    const id = uid();
    ecs.addForeignService(`reef-${id}`);
    await publish(id, "1", 1);
    const r = await converge(deps, id);
    expect(r.phase).toBe("failed");
    expect(r.error?.code).toBe("NAME_CONFLICT");
    expect(ecs.calls(UpdateServiceCommand)).toHaveLength(0);
    expect(ecs.calls(CreateServiceCommand)).toHaveLength(0);
    expect(ecs.calls(DeleteServiceCommand)).toHaveLength(0);
  });

  it("a missing cluster is an ExecutorError naming REEF_ECS_CLUSTER", async () => {
    const wrong = newExecutor({ ...CONFIG, cluster: "nope" });
    await expect(wrong.list()).rejects.toMatchObject({ code: "EXECUTOR_ERROR", message: /REEF_ECS_CLUSTER/ });
  });

  it("concurrent converges of one pipeline create one service and one revision", async () => {
    const id = uid();
    await publish(id, "1", 1);
    const other = { store: t.store, executor: newExecutor() };
    const results = await Promise.all([converge(deps, id), converge(other, id), converge(deps, id)]);
    expect(results.map((r) => r.error)).toEqual([null, null, null]);
    expect(ecs.calls(CreateServiceCommand)).toHaveLength(1);
    expect(ecs.calls(RegisterTaskDefinitionCommand)).toHaveLength(1);
  });

  it("an invalid definition leaves the running service alone (last-known-good)", async () => {
    const id = uid();
    await running(id, "1", 1);
    await t.store.putDefinition(id, "{not json");
    const r = await converge(deps, id);
    expect(r.phase).toBe("failed");
    expect(mutations()).toBe(0);
    expect(ecs.services.get(`reef-${id}`)?.status).toBe("ACTIVE");
  });
});
