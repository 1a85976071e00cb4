// An in-memory ECS behind aws-sdk-client-mock: enough of services, deployments and task
// definitions to drive the executor through whole lifecycles, with the API's real error names.
import {
  ClientException,
  CreateServiceCommand,
  DeleteServiceCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  ListServicesCommand,
  ListTasksCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  ServiceNotActiveException,
  StopTaskCommand,
  ServiceNotFoundException,
  TagResourceCommand,
  UpdateServiceCommand,
  type Deployment,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type Tag,
  type Task,
} from "@aws-sdk/client-ecs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import type { EcsConfig } from "../../../lib/executors/ecs";

const REGION_ACCOUNT = "us-east-1:123456789012";

export const TEST_NATS_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:reef-nats-AbCdEf";

/** An executor configuration for the fake ECS (cluster `reef-test`). */
export const TEST_ECS_CONFIG: EcsConfig = {
  cluster: "reef-test",
  subnets: ["subnet-a", "subnet-b"],
  securityGroups: ["sg-1"],
  assignPublicIp: false,
  image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/reef-runner:abc",
  cpu: "256",
  memory: "512",
  taskRoleArn: "arn:aws:iam::123456789012:role/reef-task",
  executionRoleArn: "arn:aws:iam::123456789012:role/reef-exec",
  natsCredsSecretArn: TEST_NATS_SECRET,
  natsCredsSecretKeys: ["NATS_TOKEN"],
  logGroup: "/reef/test/executions",
  region: "us-east-1",
  cpuArchitecture: "X86_64",
};

/**
 * The fake ECS's time. ECS stamps deployments, events and stopped tasks with it, and the executor
 * under test reads it (`now: ecs.clock.now`), so what the executor judges by age (stopped tasks,
 * failed deployments) never depends on today's date. It starts at the real time, so stamps it
 * gives stay comparable with what the rest of a test stamps with the real clock (heartbeats, runs).
 */
export class TestClock {
  constructor(private ms = Date.now()) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}
const meta = { $metadata: {} };

interface TaskDef {
  arn: string;
  family: string;
  revision: number;
  status: "ACTIVE" | "INACTIVE";
  input: RegisterTaskDefinitionCommandInput;
  tags: Tag[];
}

export class FakeEcs {
  readonly client = new ECSClient({
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  readonly mock: AwsClientStub<ECSClient>;
  readonly services = new Map<string, Service & { clientToken?: string }>();
  readonly taskDefs = new Map<string, TaskDef>();
  private revisions = new Map<string, number>();
  private deploymentSeq = 0;
  readonly clock = new TestClock();
  /** Errors to throw on the next calls of a command, by command name (consumed in order). */
  readonly faults = new Map<string, (Error | (() => Error))[]>();

  constructor(readonly cluster = "reef-test") {
    this.mock = mockClient(this.client);
    const handlers: Record<string, [unknown, (input: never) => unknown]> = {
      DescribeServices: [DescribeServicesCommand, (i) => this.describeServices(i)],
      ListServices: [ListServicesCommand, (i) => this.listServices(i)],
      CreateService: [CreateServiceCommand, (i) => this.createService(i)],
      UpdateService: [UpdateServiceCommand, (i) => this.updateService(i)],
      DeleteService: [DeleteServiceCommand, (i) => this.deleteService(i)],
      TagResource: [TagResourceCommand, (i) => this.tagResource(i)],
      RegisterTaskDefinition: [RegisterTaskDefinitionCommand, (i) => this.register(i)],
      DescribeTaskDefinition: [DescribeTaskDefinitionCommand, (i) => this.describeTaskDefinition(i)],
      ListTaskDefinitions: [ListTaskDefinitionsCommand, (i) => this.listTaskDefinitions(i)],
      DeregisterTaskDefinition: [DeregisterTaskDefinitionCommand, (i) => this.deregister(i)],
      DeleteTaskDefinitions: [DeleteTaskDefinitionsCommand, (i) => this.deleteTaskDefinitions(i)],
      ListTasks: [ListTasksCommand, (i) => this.listTasks(i)],
      DescribeTasks: [DescribeTasksCommand, (i) => this.describeTasks(i)],
      RunTask: [RunTaskCommand, (i) => this.runTask(i)],
      StopTask: [StopTaskCommand, (i) => this.stopTask(i)],
    };
    for (const [name, [cmd, fn]] of Object.entries(handlers)) {
      this.handlers.set(name, fn);
      (
        this.mock.on(cmd as never) as unknown as { callsFake(f: (i: never) => Promise<unknown>): void }
      ).callsFake((input: never) => this.handle(name, input));
    }
  }

  private readonly handlers = new Map<string, (input: never) => unknown>();
  /** Every operation received, in order (through the mock or over HTTP). */
  readonly received: { operation: string; input: unknown }[] = [];

  /** One ECS operation, by its API name (what the HTTP endpoint and the mock both call). */
  async handle(operation: string, input: unknown): Promise<unknown> {
    this.received.push({ operation, input });
    const fn = this.handlers.get(operation);
    if (!fn)
      throw new ClientException({ $metadata: {}, message: `fake ECS does not implement ${operation}` });
    const fault = this.faults.get(operation)?.shift();
    if (fault) throw typeof fault === "function" ? fault() : fault;
    return fn(input as never);
  }

  /** The next calls of `command` throw these (a function runs first: a concurrent change, then its error). */
  fail(command: string, ...errors: (Error | (() => Error))[]): void {
    this.faults.set(command, [...(this.faults.get(command) ?? []), ...errors]);
  }

  /** How many times a command was sent, and with what inputs. */
  calls<T = Record<string, unknown>>(command: new (input: never) => unknown): T[] {
    return this.mock.commandCalls(command as never).map((c) => (c.args[0] as { input: unknown }).input as T);
  }

  resetHistory(): void {
    this.mock.resetHistory();
  }

  /** A moment later than the last one ECS stamped (so events and deployments are ordered). */
  private now(): Date {
    this.clock.advance(1000);
    return new Date(this.clock.now());
  }

  private serviceArn(name: string): string {
    return `arn:aws:ecs:${REGION_ACCOUNT}:service/${this.cluster}/${name}`;
  }

  // --- what ECS would do over time -------------------------------------------------------------

  /** Every service reaches its desired state: primary tasks running, old deployments gone, drained services deleted. */
  settle(): void {
    for (const [name, s] of this.services) {
      if (s.status === "DRAINING") {
        this.services.delete(name);
        continue;
      }
      const primary = s.deployments!.find((d) => d.status === "PRIMARY")!;
      primary.runningCount = s.desiredCount;
      primary.pendingCount = 0;
      primary.rolloutState = "COMPLETED";
      s.deployments = [primary];
      s.runningCount = s.desiredCount;
      s.pendingCount = 0;
    }
  }

  /** The primary deployment's tasks keep failing and the circuit breaker trips. */
  breakDeployment(name: string, event: string): void {
    const s = this.services.get(name)!;
    const primary = s.deployments!.find((d) => d.status === "PRIMARY")!;
    primary.failedTasks = 3;
    primary.runningCount = 0;
    primary.pendingCount = 0;
    primary.rolloutState = "FAILED";
    primary.rolloutStateReason = "ECS deployment circuit breaker: tasks failed to start.";
    primary.updatedAt = this.now();
    s.events = [{ id: "e1", createdAt: this.now(), message: event }, ...(s.events ?? [])];
  }

  /** Stopped tasks, by service name (ECS keeps them for about an hour). */
  readonly stoppedTasks = new Map<string, Task[]>();
  private taskSeq = 0;

  /** A task of the service's primary deployment stopped (the runner exited, or it never started). */
  crashTask(
    name: string,
    how: { stopCode: Task["stopCode"]; stoppedReason: string; exitCode?: number; reason?: string },
  ): void {
    const s = this.services.get(name)!;
    const primary = s.deployments!.find((d) => d.status === "PRIMARY")!;
    const taskArn = `arn:aws:ecs:${REGION_ACCOUNT}:task/${this.cluster}/${(++this.taskSeq).toString(16).padStart(32, "0")}`;
    const task: Task = {
      taskArn,
      taskDefinitionArn: primary.taskDefinition,
      lastStatus: "STOPPED",
      desiredStatus: "STOPPED",
      stopCode: how.stopCode,
      stoppedReason: how.stoppedReason,
      stoppedAt: this.now(),
      containers: [{ name: "runner", exitCode: how.exitCode, reason: how.reason, lastStatus: "STOPPED" }],
    };
    this.stoppedTasks.set(name, [task, ...(this.stoppedTasks.get(name) ?? [])]);
  }

  private listTasks(i: { cluster?: string; serviceName?: string; family?: string; desiredStatus?: string }) {
    this.checkCluster(i.cluster);
    if (i.serviceName) {
      const tasks = i.desiredStatus === "STOPPED" ? (this.stoppedTasks.get(i.serviceName) ?? []) : [];
      return { ...meta, taskArns: tasks.map((t) => t.taskArn!) };
    }
    const wanted = i.desiredStatus ?? "RUNNING";
    const runs = [...this.runTasks.values()].filter(
      (t) =>
        t.desiredStatus === wanted &&
        (!i.family || this.taskDefs.get(t.taskDefinitionArn!)?.family === i.family),
    );
    return { ...meta, taskArns: runs.map((t) => t.taskArn!) };
  }

  private describeTasks(i: { cluster?: string; tasks?: string[]; include?: string[] }) {
    this.checkCluster(i.cluster);
    if ((i.tasks ?? []).length > 100)
      throw new InvalidParameterException({ ...meta, message: "at most 100" });
    const all = [...this.stoppedTasks.values()].flat().concat([...this.runTasks.values()]);
    const tasks = structuredClone(all.filter((t) => i.tasks?.includes(t.taskArn!)));
    if (!i.include?.includes("TAGS")) for (const t of tasks) delete t.tags;
    return { ...meta, tasks, failures: [] };
  }

  // --- tasks started with RunTask (job runs) ----------------------------------------------------

  /** Tasks started with RunTask, by ARN (stopped ones stay listed, as ECS keeps them for a while). */
  readonly runTasks = new Map<string, Task & { clientToken?: string }>();

  private runTask(i: {
    cluster?: string;
    taskDefinition?: string;
    count?: number;
    startedBy?: string;
    tags?: Tag[];
    clientToken?: string;
    overrides?: Task["overrides"];
  }) {
    this.checkCluster(i.cluster);
    const td = this.taskDefs.get(i.taskDefinition!);
    if (!td || td.status !== "ACTIVE") {
      throw new ClientException({ ...meta, message: "TaskDefinition is inactive or missing" });
    }
    const same = [...this.runTasks.values()].find((t) => i.clientToken && t.clientToken === i.clientToken);
    if (same) return { ...meta, tasks: [structuredClone(same)], failures: [] };
    const taskArn = `arn:aws:ecs:${REGION_ACCOUNT}:task/${this.cluster}/${(++this.taskSeq).toString(16).padStart(32, "0")}`;
    const task = {
      taskArn,
      taskDefinitionArn: td.arn,
      lastStatus: "PROVISIONING",
      desiredStatus: "RUNNING",
      startedBy: i.startedBy,
      createdAt: this.now(),
      tags: i.tags ?? [],
      overrides: i.overrides,
      containers: [{ name: "runner", lastStatus: "PENDING" }],
      clientToken: i.clientToken,
    };
    this.runTasks.set(taskArn, task);
    const { clientToken: _t, ...out } = task;
    return { ...meta, tasks: [structuredClone(out)], failures: [] };
  }

  /** The run task's container started. */
  startRunTask(arn: string): void {
    const t = this.runTasks.get(arn)!;
    t.lastStatus = "RUNNING";
    t.startedAt = this.now();
    t.containers = [{ name: "runner", lastStatus: "RUNNING" }];
  }

  /** The run task's runner exited (`exitCode` undefined: the container never ran). */
  endRunTask(
    arn: string,
    how: { exitCode?: number; stopCode?: Task["stopCode"]; stoppedReason?: string; reason?: string },
  ): void {
    const t = this.runTasks.get(arn)!;
    t.lastStatus = "STOPPED";
    t.desiredStatus = "STOPPED";
    t.stopCode = how.stopCode ?? "EssentialContainerExited";
    t.stoppedReason = how.stoppedReason ?? "Essential container in task exited";
    t.stoppedAt = this.now();
    t.containers = [{ name: "runner", lastStatus: "STOPPED", exitCode: how.exitCode, reason: how.reason }];
  }

  private stopTask(i: { cluster?: string; task?: string; reason?: string }) {
    this.checkCluster(i.cluster);
    const t = this.runTasks.get(i.task!);
    if (!t) throw new InvalidParameterException({ ...meta, message: "The referenced task was not found." });
    if (t.lastStatus !== "STOPPED") {
      this.endRunTask(t.taskArn!, {
        exitCode: 143,
        stopCode: "UserInitiated",
        stoppedReason: i.reason ?? "stopped",
      });
    }
    return { ...meta, task: structuredClone(t) };
  }

  /** A service someone else created with reef's naming but without reef's tags. */
  addForeignService(name: string): void {
    this.services.set(name, {
      serviceName: name,
      serviceArn: this.serviceArn(name),
      status: "ACTIVE",
      desiredCount: 1,
      runningCount: 1,
      pendingCount: 0,
      taskDefinition: `arn:aws:ecs:${REGION_ACCOUNT}:task-definition/other:1`,
      deployments: [],
      tags: [{ key: "team", value: "other" }],
    });
  }

  // --- the API ---------------------------------------------------------------------------------

  private describeServices(i: { cluster?: string; services?: string[]; include?: string[] }) {
    this.checkCluster(i.cluster);
    const services: Service[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of i.services ?? []) {
      const s = this.services.get(ref.slice(ref.lastIndexOf("/") + 1));
      if (!s) failures.push({ arn: this.serviceArn(ref), reason: "MISSING" });
      else {
        const copy = structuredClone(s);
        delete copy.clientToken;
        if (!i.include?.includes("TAGS")) delete copy.tags;
        services.push(copy);
      }
    }
    return { ...meta, services, failures };
  }

  private listServices(i: { cluster?: string; nextToken?: string; maxResults?: number }) {
    this.checkCluster(i.cluster);
    const all = [...this.services.values()].filter((s) => s.status !== "INACTIVE").map((s) => s.serviceArn!);
    // Two per page, so pagination is exercised.
    const start = i.nextToken ? Number(i.nextToken) : 0;
    const page = all.slice(start, start + 2);
    return { ...meta, serviceArns: page, nextToken: start + 2 < all.length ? String(start + 2) : undefined };
  }

  private deployment(taskDefinition: string, desiredCount: number): Deployment {
    return {
      id: `ecs-svc/${++this.deploymentSeq}`,
      status: "PRIMARY",
      taskDefinition,
      desiredCount,
      runningCount: 0,
      pendingCount: desiredCount,
      failedTasks: 0,
      rolloutState: "IN_PROGRESS",
      createdAt: this.now(),
    };
  }

  private createService(i: {
    cluster?: string;
    serviceName?: string;
    taskDefinition?: string;
    desiredCount?: number;
    tags?: Tag[];
    clientToken?: string;
  }) {
    this.checkCluster(i.cluster);
    const name = i.serviceName!;
    const existing = this.services.get(name);
    if (existing?.status === "DRAINING") {
      throw new InvalidParameterException({
        ...meta,
        message: "Unable to Start a service that is still Draining.",
      });
    }
    if (existing) {
      if (existing.clientToken && existing.clientToken === i.clientToken)
        return { ...meta, service: structuredClone(existing) };
      throw new InvalidParameterException({ ...meta, message: "Creation of service was not idempotent." });
    }
    const s: Service & { clientToken?: string } = {
      serviceName: name,
      serviceArn: this.serviceArn(name),
      clusterArn: `arn:aws:ecs:${REGION_ACCOUNT}:cluster/${this.cluster}`,
      status: "ACTIVE",
      taskDefinition: i.taskDefinition,
      desiredCount: i.desiredCount ?? 0,
      runningCount: 0,
      pendingCount: i.desiredCount ?? 0,
      launchType: "FARGATE",
      deployments: [this.deployment(i.taskDefinition!, i.desiredCount ?? 0)],
      events: [],
      tags: i.tags ?? [],
      clientToken: i.clientToken,
    };
    this.services.set(name, s);
    return { ...meta, service: structuredClone(s) };
  }

  private active(cluster: string | undefined, ref: string | undefined) {
    this.checkCluster(cluster);
    const s = this.services.get(ref!);
    if (!s) throw new ServiceNotFoundException({ ...meta, message: "Service not found." });
    if (s.status !== "ACTIVE")
      throw new ServiceNotActiveException({ ...meta, message: "Service was not ACTIVE." });
    return s;
  }

  private updateService(i: {
    cluster?: string;
    service?: string;
    taskDefinition?: string;
    desiredCount?: number;
    forceNewDeployment?: boolean;
  }) {
    const s = this.active(i.cluster, i.service);
    if (i.desiredCount !== undefined) s.desiredCount = i.desiredCount;
    if ((i.taskDefinition && i.taskDefinition !== s.taskDefinition) || i.forceNewDeployment) {
      for (const d of s.deployments!) d.status = "ACTIVE";
      const td = i.taskDefinition ?? s.taskDefinition!;
      s.deployments = [this.deployment(td, s.desiredCount!), ...s.deployments!];
      s.taskDefinition = td;
    } else {
      const primary = s.deployments!.find((d) => d.status === "PRIMARY")!;
      primary.desiredCount = s.desiredCount;
    }
    // Like ECS: the answer carries no tags (only DescribeServices with include TAGS does).
    return { ...meta, service: structuredClone({ ...s, clientToken: undefined, tags: undefined }) };
  }

  private deleteService(i: { cluster?: string; service?: string; force?: boolean }) {
    const s = this.active(i.cluster, i.service);
    if (!i.force && s.desiredCount)
      throw new InvalidParameterException({ ...meta, message: "scale to 0 first" });
    s.status = "DRAINING";
    s.desiredCount = 0;
    return { ...meta, service: structuredClone(s) };
  }

  private tagResource(i: { resourceArn?: string; tags?: Tag[] }) {
    const task = this.runTasks.get(i.resourceArn!);
    if (task) {
      const tags = new Map((task.tags ?? []).map((t) => [t.key, t.value]));
      for (const t of i.tags ?? []) tags.set(t.key, t.value);
      task.tags = [...tags].map(([key, value]) => ({ key, value }));
      return meta;
    }
    const s = [...this.services.values()].find((x) => x.serviceArn === i.resourceArn);
    if (!s) throw new ClientException({ ...meta, message: "resource not found" });
    const tags = new Map((s.tags ?? []).map((t) => [t.key, t.value]));
    for (const t of i.tags ?? []) tags.set(t.key, t.value);
    s.tags = [...tags].map(([key, value]) => ({ key, value }));
    return meta;
  }

  private register(i: RegisterTaskDefinitionCommandInput) {
    const family = i.family!;
    const revision = (this.revisions.get(family) ?? 0) + 1;
    this.revisions.set(family, revision);
    const arn = `arn:aws:ecs:${REGION_ACCOUNT}:task-definition/${family}:${revision}`;
    this.taskDefs.set(arn, { arn, family, revision, status: "ACTIVE", input: i, tags: i.tags ?? [] });
    return {
      ...meta,
      taskDefinition: { taskDefinitionArn: arn, family, revision, status: "ACTIVE" },
      tags: i.tags,
    };
  }

  private describeTaskDefinition(i: { taskDefinition?: string; include?: string[] }) {
    const td = this.taskDefs.get(i.taskDefinition!);
    if (!td) throw new ClientException({ ...meta, message: "Unable to describe task definition." });
    return {
      ...meta,
      taskDefinition: {
        taskDefinitionArn: td.arn,
        family: td.family,
        revision: td.revision,
        status: td.status,
      },
      tags: i.include?.includes("TAGS") ? td.tags : undefined,
    };
  }

  private listTaskDefinitions(i: {
    familyPrefix?: string;
    status?: string;
    sort?: string;
    nextToken?: string;
  }) {
    // Like the real API, the "prefix" also matches longer family names: the executor must filter.
    const all = [...this.taskDefs.values()]
      .filter((t) => t.family.startsWith(i.familyPrefix ?? "") && t.status === (i.status ?? "ACTIVE"))
      .sort((a, b) => (i.sort === "DESC" ? b.revision - a.revision : a.revision - b.revision))
      .map((t) => t.arn);
    return { ...meta, taskDefinitionArns: all };
  }

  private deregister(i: { taskDefinition?: string }) {
    const td = this.taskDefs.get(i.taskDefinition!);
    if (!td) throw new ClientException({ ...meta, message: "Unable to describe task definition." });
    td.status = "INACTIVE";
    return { ...meta, taskDefinition: { taskDefinitionArn: td.arn, status: td.status } };
  }

  private deleteTaskDefinitions(i: { taskDefinitions?: string[] }) {
    if ((i.taskDefinitions ?? []).length > 10) throw new ClientException({ ...meta, message: "at most 10" });
    const failures: { arn: string; reason: string }[] = [];
    for (const arn of i.taskDefinitions ?? []) {
      const td = this.taskDefs.get(arn);
      if (td?.status === "INACTIVE") this.taskDefs.delete(arn);
      else failures.push({ arn, reason: "The specified task definition is not INACTIVE." });
    }
    return { ...meta, failures };
  }

  private checkCluster(cluster: string | undefined): void {
    if (cluster !== this.cluster) {
      throw Object.assign(new Error("Cluster not found."), {
        name: "ClusterNotFoundException",
        $metadata: {},
      });
    }
  }
}

export function throttling(): Error {
  return Object.assign(new Error("Rate exceeded"), {
    name: "ThrottlingException",
    $metadata: { httpStatusCode: 400 },
  });
}

/**
 * The fake behind a real HTTP endpoint speaking ECS's wire protocol (awsJson1_1), for code that
 * builds its own ECSClient (a packaged Lambda bundle): point it there with AWS_ENDPOINT_URL_ECS.
 */
export async function serveFakeEcs(fake: FakeEcs): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const operation = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
      const body = Buffer.concat(chunks).toString("utf8");
      void fake
        .handle(operation, body ? JSON.parse(body) : {})
        .then((out) => {
          const { $metadata: _m, ...rest } = (out ?? {}) as Record<string, unknown>;
          res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
          // The protocol's timestamps are epoch seconds.
          res.end(
            JSON.stringify(rest, function (this: Record<string, unknown>, key, value) {
              const raw = this[key];
              return raw instanceof Date ? raw.getTime() / 1000 : value;
            }),
          );
        })
        .catch((err: Error) => {
          res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
          res.end(JSON.stringify({ __type: err.name, message: err.message }));
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
