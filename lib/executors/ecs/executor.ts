// The ECS executor: one Fargate service per pipeline, one task-definition revision per
// (version, digest, settings). It manages the whole set itself (a SetExecutor): converge hands it
// the TARGET, declaratively, and it never waits for a deployment to settle: list() reports what ECS
// says now (the service's replica slots), and the next converge sees the rest.
import { createHash } from "node:crypto";
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTasksCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
} from "@aws-sdk/client-ecs";
import {
  ExecutorError,
  LABELS,
  NameConflictError,
  ReefError,
  type Execution,
  type StatusError,
} from "../../model";
import type { SetExecutor, SetTarget } from "../types";
import { RUN_LABEL, runEnvOf, type RunExecution, type RunExecutor, type RunSpec } from "../runs";
import type { EcsConfig } from "./config";
import {
  CLUSTER_TAG,
  familyName,
  familyOfArn,
  fromTagList,
  pipelineTags,
  serviceName,
  serviceNameOfArn,
  SPEC_TAG,
  toTagList,
} from "./names";
import {
  needsTaskProbe,
  primaryDeployment,
  serviceExecutions,
  servicePipeline,
  stoppedTaskFailure,
  type TaskDefinitionIdentity,
} from "./observe";
import { DEFAULT_RETRY, withRetry, type RetryOptions } from "./retry";
import { CONTAINER_NAME, taskDefinitionRequest } from "./taskdef";
import { MAX_OVERRIDE_CHARS, RUN_REMOVED_TAG, RUN_STARTED_BY, runExecutionOfTask } from "./runs";

export interface EcsExecutorOptions {
  client: ECSClient;
  config: EcsConfig;
  /** The control plane's env: the source of the runners' env (runnerEnv). */
  env?: NodeJS.ProcessEnv;
  retry?: Partial<RetryOptions>;
  /**
   * How long one pipeline's observation is reused by list(id) when nothing was ensured since
   * (default 1000 ms): ECS tasks take tens of seconds to start, so asking more often only spends
   * the DescribeServices rate.
   */
  listCacheMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /**
   * A deployment ECS gave up on (circuit breaker: FAILED, no more task launches) is started
   * again by the next converge that wants it running once it is this old (default 5 min): a
   * transient cause (capacity, a secret created late) heals, a permanent one costs a few task
   * launches every few minutes.
   */
  retryFailedAfterMs?: number;
}

/** The AWS error name behind an error (also through the ExecutorError that wraps it). */
export function awsErrorName(err: unknown): string | undefined {
  if (err instanceof ReefError) return err.details?.awsError as string | undefined;
  return (err as Error | undefined)?.name;
}

// DescribeServices takes at most 10 services per call; DescribeTasks 100 tasks.
const DESCRIBE_BATCH = 10;
const DESCRIBE_TASKS_BATCH = 100;

export class EcsExecutor implements SetExecutor, RunExecutor {
  readonly kind = "ecs" as const;
  /** Tasks take tens of seconds to start: while pending, converge looks again after this long. */
  readonly pendingRecheckMs = 10_000;
  private readonly client: ECSClient;
  private readonly config: EcsConfig;
  private readonly env: NodeJS.ProcessEnv;
  private readonly retry: RetryOptions;
  // Task-definition revisions never change, so what their tags say can be kept for the process's life.
  private readonly identities = new Map<string, TaskDefinitionIdentity | null>();
  private readonly observed = new Map<string, { at: number; executions: Execution[] }>();
  private readonly listCacheMs: number;
  private readonly now: () => number;
  private readonly retryFailedAfterMs: number;

  constructor(opts: EcsExecutorOptions) {
    this.client = opts.client;
    this.config = opts.config;
    this.env = opts.env ?? process.env;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.listCacheMs = opts.listCacheMs ?? 1_000;
    this.now = opts.now ?? Date.now;
    this.retryFailedAfterMs = opts.retryFailedAfterMs ?? 5 * 60_000;
  }

  async list(pipeline?: string): Promise<Execution[]> {
    if (pipeline) {
      const seen = this.observed.get(pipeline);
      if (seen && this.now() - seen.at < this.listCacheMs) return seen.executions.map((e) => ({ ...e }));
    }
    const at = this.now();
    const executions = await this.describeExecutions(pipeline);
    if (pipeline) this.observed.set(pipeline, { at, executions });
    return executions.map((e) => ({ ...e }));
  }

  private async describeExecutions(pipeline?: string): Promise<Execution[]> {
    const services = pipeline ? [await this.describeService(pipeline)] : await this.describeAllServices();
    const ours = services.filter(
      (s): s is Service => !!s && !!servicePipeline(s) && serviceName(servicePipeline(s)!) === s.serviceName,
    );
    await this.resolveIdentities(ours);
    const stopped = await Promise.all(
      ours.map((s) => (needsTaskProbe(s) ? this.stoppedTaskFailure(s) : undefined)),
    );
    return ours.flatMap((s, i) =>
      serviceExecutions(s, (arn) => (arn ? (this.identities.get(arn) ?? undefined) : undefined), stopped[i]),
    );
  }

  /**
   * Replicas are missing and the service gives no reason: ask the stopped tasks (ECS keeps them
   * about an hour). Best effort: without an answer the replicas are simply pending.
   */
  private async stoppedTaskFailure(service: Service): Promise<StatusError | undefined> {
    try {
      const listed = await this.call("ListTasks", () =>
        this.client.send(
          new ListTasksCommand({
            cluster: this.config.cluster,
            serviceName: service.serviceName,
            desiredStatus: "STOPPED",
            maxResults: 20,
          }),
        ),
      );
      const arns = listed?.taskArns ?? [];
      if (!arns.length) return undefined;
      const described = await this.call("DescribeTasks", () =>
        this.client.send(new DescribeTasksCommand({ cluster: this.config.cluster, tasks: arns })),
      );
      return stoppedTaskFailure(described?.tasks ?? [], primaryDeployment(service), {
        nowMs: this.now(),
        container: CONTAINER_NAME,
        logGroup: this.config.logGroup,
        logPrefix: service.serviceName,
      });
    } catch {
      return undefined;
    }
  }

  /** Makes the pipeline's service match `target` (converge calls it only when the plan has steps). */
  async ensure(pipeline: string, target: SetTarget): Promise<void> {
    // Whatever happens below, the next list() must ask ECS again.
    this.observed.delete(pipeline);
    switch (target.state) {
      case "running":
        return this.ensureRunning(pipeline, target.version, target.digest, target.replicas);
      case "stopped":
        return this.ensureStopped(pipeline);
      case "absent":
        return this.ensureAbsent(pipeline);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  // --- job runs (CONTRACT.md §8): a task per run via RunTask, no service --------------------------

  /**
   * Starts the run's task from the version's task definition (registered if needed, as for a
   * service), with the run's environment as an override. Idempotent: the client token is the run's.
   */
  async startRun(spec: RunSpec): Promise<void> {
    const environment = Object.entries(runEnvOf(spec)).map(([name, value]) => ({ name, value }));
    const overrides = { containerOverrides: [{ name: CONTAINER_NAME, environment }] };
    const size = JSON.stringify(overrides).length;
    if (size > MAX_OVERRIDE_CHARS) {
      throw new ExecutorError(
        `the run's payload is too large for an ECS task: its overrides take ${size} characters, ECS accepts ${MAX_OVERRIDE_CHARS} (about 6 KB of stdin)`,
      );
    }
    const taskDefinition = await this.ensureTaskDefinition(
      spec.pipeline,
      spec.version,
      spec.digest,
      undefined,
    );
    const token = createHash("sha256")
      .update(`${this.config.cluster}|${spec.pipeline}|${spec.run}`)
      .digest("hex")
      .slice(0, 32);
    const out = await this.call("RunTask", () =>
      this.client.send(
        new RunTaskCommand({
          cluster: this.config.cluster,
          taskDefinition,
          launchType: "FARGATE",
          count: 1,
          networkConfiguration: this.networkConfiguration(),
          startedBy: RUN_STARTED_BY,
          overrides,
          tags: toTagList({
            ...pipelineTags(spec.pipeline, spec.version, spec.digest),
            [RUN_LABEL]: spec.run,
          }),
          enableECSManagedTags: true,
          clientToken: token,
        }),
      ),
    );
    const failures = (out?.failures ?? []).map((f) => [f.reason, f.detail].filter(Boolean).join(": "));
    if (failures.length || !out?.tasks?.length) {
      throw new ExecutorError(
        `ECS could not start run ${spec.run} of ${spec.pipeline}: ${failures.join("; ") || "RunTask started no task"}`,
      );
    }
  }

  /** The runs' tasks (running, and stopped ones ECS still lists) that reef has not removed. */
  async listRuns(pipeline?: string): Promise<RunExecution[]> {
    const arns: string[] = [];
    for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
      let nextToken: string | undefined;
      do {
        const page = await this.call("ListTasks", () =>
          this.client.send(
            new ListTasksCommand({
              cluster: this.config.cluster,
              ...(pipeline ? { family: familyName(pipeline) } : {}),
              desiredStatus,
              maxResults: 100,
              nextToken,
            }),
          ),
        );
        arns.push(...(page?.taskArns ?? []));
        nextToken = page?.nextToken;
      } while (nextToken);
    }
    const out: RunExecution[] = [];
    const unique = [...new Set(arns)];
    for (let i = 0; i < unique.length; i += DESCRIBE_TASKS_BATCH) {
      const described = await this.call("DescribeTasks", () =>
        this.client.send(
          new DescribeTasksCommand({
            cluster: this.config.cluster,
            tasks: unique.slice(i, i + DESCRIBE_TASKS_BATCH),
            include: ["TAGS"],
          }),
        ),
      );
      for (const task of described?.tasks ?? []) {
        const e = runExecutionOfTask(task, {
          container: CONTAINER_NAME,
          logGroup: this.config.logGroup,
          logPrefix: familyName(pipeline ?? fromTagList(task.tags)[LABELS.pipeline] ?? ""),
        });
        if (e && (!pipeline || e.pipeline === pipeline)) out.push(e);
      }
    }
    return out.sort((a, b) => a.pipeline.localeCompare(b.pipeline) || a.run.localeCompare(b.run));
  }

  /**
   * Stops the run's task if it still runs and marks it removed (ECS keeps listing a stopped task
   * for about an hour; the tag hides it from listRuns).
   */
  async removeRun(execution: RunExecution): Promise<void> {
    if (execution.state !== "exited" && execution.state !== "failed") {
      await this.call(
        "StopTask",
        () =>
          this.client.send(
            new StopTaskCommand({
              cluster: this.config.cluster,
              task: execution.id,
              reason: "reef: run removed",
            }),
          ),
        ["InvalidParameterException"],
      );
    }
    await this.call(
      "TagResource",
      () =>
        this.client.send(
          new TagResourceCommand({
            resourceArn: execution.id,
            tags: [{ key: RUN_REMOVED_TAG, value: "true" }],
          }),
        ),
      // Gone already (ECS forgot the stopped task): nothing left to hide.
      ["InvalidParameterException", "ClientException"],
    );
  }

  /** A job drafted or deleted: its task-definition revisions go (its runs are removed first). */
  async removeJob(pipeline: string): Promise<void> {
    await this.removeTaskDefinitions(pipeline);
  }

  // --- targets -------------------------------------------------------------------------------

  private async ensureRunning(
    pipeline: string,
    version: string,
    digest: string,
    replicas: number,
  ): Promise<void> {
    let service = await this.ownedService(pipeline);
    // Published with no replicas: no service, as the other executors have no process or container.
    // A service kept at desiredCount 0 would read as a stopped replica (a pause) for ever.
    if (replicas === 0) return this.deleteService(pipeline, service);
    // A deleted service drains before its name can be used again: the next converge creates it.
    if (service?.status === "DRAINING") return;
    const taskDefinition = await this.ensureTaskDefinition(pipeline, version, digest, service);
    if (!service) {
      service = await this.createService(pipeline, taskDefinition, replicas);
      if (!service || service.status === "DRAINING") return;
    }
    const changed = service.taskDefinition !== taskDefinition;
    const retry = !changed && this.shouldRetryFailed(service);
    if (changed || retry || service.desiredCount !== replicas) {
      const updated = await this.updateService(pipeline, {
        taskDefinition,
        desiredCount: replicas,
        ...(changed ? { networkConfiguration: this.networkConfiguration() } : {}),
        ...(retry ? { forceNewDeployment: true } : {}),
      });
      if (!updated) {
        // Deleted meanwhile (another converge, or by hand): start over once from what ECS says now.
        const again = await this.ownedService(pipeline);
        if (!again) await this.createService(pipeline, taskDefinition, replicas);
        return;
      }
      // UpdateService answers without tags: keep the ones DescribeServices gave.
      service = { ...updated, tags: service.tags };
    }
    const tags = fromTagList(service.tags);
    if (tags[LABELS.version] !== version || tags[LABELS.digest] !== digest) {
      await this.call("TagResource", () =>
        this.client.send(
          new TagResourceCommand({
            resourceArn: service!.serviceArn,
            tags: toTagList(pipelineTags(pipeline, version, digest)),
          }),
        ),
      );
    }
  }

  /** The primary deployment failed (ECS stopped launching tasks) long enough ago to try again. */
  private shouldRetryFailed(service: Service): boolean {
    const primary = primaryDeployment(service);
    if (primary.rolloutState !== "FAILED") return false;
    const since = (primary.updatedAt ?? primary.createdAt)?.getTime() ?? 0;
    return this.now() - since >= this.retryFailedAfterMs;
  }

  private async ensureStopped(pipeline: string): Promise<void> {
    const service = await this.ownedService(pipeline);
    if (!service || service.status !== "ACTIVE" || service.desiredCount === 0) return;
    await this.updateService(pipeline, { desiredCount: 0 });
  }

  private async ensureAbsent(pipeline: string): Promise<void> {
    await this.deleteService(pipeline, await this.ownedService(pipeline));
    await this.removeTaskDefinitions(pipeline);
  }

  /** Deletes the pipeline's service if active, at once (force: its tasks stop while it drains). */
  private async deleteService(pipeline: string, service: Service | undefined): Promise<void> {
    if (service?.status !== "ACTIVE") return;
    await this.call(
      "DeleteService",
      () =>
        this.client.send(
          new DeleteServiceCommand({
            cluster: this.config.cluster,
            service: serviceName(pipeline),
            force: true,
          }),
        ),
      ["ServiceNotFoundException", "ServiceNotActiveException"],
    );
  }

  // --- services ------------------------------------------------------------------------------

  /** The pipeline's service (ACTIVE or DRAINING), undefined if none; a same-named foreign one is a conflict. */
  private async ownedService(pipeline: string): Promise<Service | undefined> {
    const service = await this.describeService(pipeline);
    if (!service) return undefined;
    if (servicePipeline(service) !== pipeline)
      throw new NameConflictError(`ECS service ${serviceName(pipeline)}`);
    return service;
  }

  private async describeService(pipeline: string): Promise<Service | undefined> {
    const [service] = await this.describeServices([serviceName(pipeline)]);
    return service;
  }

  private async describeServices(names: string[]): Promise<Service[]> {
    const out = await this.call("DescribeServices", () =>
      this.client.send(
        new DescribeServicesCommand({ cluster: this.config.cluster, services: names, include: ["TAGS"] }),
      ),
    );
    return (out?.services ?? []).filter((s) => s.status !== "INACTIVE");
  }

  private async describeAllServices(): Promise<Service[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call("ListServices", () =>
        this.client.send(
          new ListServicesCommand({ cluster: this.config.cluster, maxResults: 100, nextToken }),
        ),
      );
      for (const arn of page?.serviceArns ?? []) {
        const name = serviceNameOfArn(arn);
        if (name.startsWith("reef-")) names.push(name);
      }
      nextToken = page?.nextToken;
    } while (nextToken);
    const out: Service[] = [];
    for (let i = 0; i < names.length; i += DESCRIBE_BATCH) {
      out.push(...(await this.describeServices(names.slice(i, i + DESCRIBE_BATCH))));
    }
    return out;
  }

  private networkConfiguration() {
    return {
      awsvpcConfiguration: {
        subnets: this.config.subnets,
        ...(this.config.securityGroups.length ? { securityGroups: this.config.securityGroups } : {}),
        assignPublicIp: this.config.assignPublicIp ? ("ENABLED" as const) : ("DISABLED" as const),
      },
    };
  }

  /** Creates the service; undefined when it turned out to be draining. Safe to repeat (clientToken). */
  private async createService(
    pipeline: string,
    taskDefinition: string,
    replicas: number,
  ): Promise<Service | undefined> {
    const name = serviceName(pipeline);
    const identity = this.identities.get(taskDefinition);
    const token = createHash("sha256")
      .update(`${this.config.cluster}|${name}|${taskDefinition}|${replicas}`)
      .digest("hex")
      .slice(0, 32);
    const tags = toTagList(pipelineTags(pipeline, identity?.version ?? "", identity?.digest ?? ""));
    try {
      const out = await this.call("CreateService", () =>
        this.client.send(
          new CreateServiceCommand({
            cluster: this.config.cluster,
            serviceName: name,
            taskDefinition,
            desiredCount: replicas,
            launchType: "FARGATE",
            networkConfiguration: this.networkConfiguration(),
            // Like the planner's "removals first": the old version stops before the new one starts,
            // so two versions never write to the same sink; a failing rollout stops (no rollback:
            // reef, not ECS, decides which version should run).
            deploymentConfiguration: {
              minimumHealthyPercent: 0,
              maximumPercent: 100,
              deploymentCircuitBreaker: { enable: true, rollback: false },
            },
            propagateTags: "TASK_DEFINITION",
            enableECSManagedTags: true,
            tags,
            clientToken: token,
          }),
        ),
      );
      return out?.service && { ...out.service, tags: out.service.tags ?? tags };
    } catch (err) {
      // Same name, other parameters (a concurrent create) or still draining: look again.
      if (awsErrorName(err) !== "InvalidParameterException") throw err;
      const service = await this.ownedService(pipeline);
      if (!service) throw err;
      return service;
    }
  }

  /** Updates the service; undefined when it no longer exists or is being deleted. */
  private async updateService(
    pipeline: string,
    changes: {
      forceNewDeployment?: boolean;
      taskDefinition?: string;
      desiredCount?: number;
      networkConfiguration?: ReturnType<EcsExecutor["networkConfiguration"]>;
    },
  ): Promise<Service | undefined> {
    const out = await this.call(
      "UpdateService",
      () =>
        this.client.send(
          new UpdateServiceCommand({
            cluster: this.config.cluster,
            service: serviceName(pipeline),
            ...changes,
          }),
        ),
      ["ServiceNotFoundException", "ServiceNotActiveException"],
    );
    return out?.service;
  }

  // --- task definitions ----------------------------------------------------------------------

  /** The ARN of a revision for exactly this (version, digest, settings); registers one only if none exists. */
  private async ensureTaskDefinition(
    pipeline: string,
    version: string,
    digest: string,
    service: Service | undefined,
  ): Promise<string> {
    const request = taskDefinitionRequest(this.config, pipeline, version, digest, this.env);
    const matches = (arn: string) => {
      const id = this.identities.get(arn);
      return !!id && id.digest === digest && id.version === version && id.spec === request.spec;
    };
    // Most converges (scale, resume) keep the service's current revision: check it first.
    const current = service?.taskDefinition;
    if (current) {
      await this.identify(current);
      if (matches(current)) return current;
    }
    for (const arn of await this.familyRevisions(pipeline, "ACTIVE")) {
      await this.identify(arn);
      if (matches(arn)) return arn;
    }
    const out = await this.call("RegisterTaskDefinition", () =>
      this.client.send(new RegisterTaskDefinitionCommand(request.input)),
    );
    const arn = out?.taskDefinition?.taskDefinitionArn;
    if (!arn)
      throw new ExecutorError(`ECS RegisterTaskDefinition returned no ARN for ${familyName(pipeline)}`);
    this.identities.set(arn, { pipeline, version, digest, spec: request.spec, cluster: this.config.cluster });
    return arn;
  }

  /** Revisions of the pipeline's family (newest first), exact family name only. */
  private async familyRevisions(pipeline: string, status: "ACTIVE" | "INACTIVE"): Promise<string[]> {
    const family = familyName(pipeline);
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call("ListTaskDefinitions", () =>
        this.client.send(
          new ListTaskDefinitionsCommand({
            familyPrefix: family,
            status,
            sort: "DESC",
            maxResults: 100,
            nextToken,
          }),
        ),
      );
      arns.push(...(page?.taskDefinitionArns ?? []).filter((arn) => familyOfArn(arn) === family));
      nextToken = page?.nextToken;
    } while (nextToken);
    return arns;
  }

  /** Deregisters, then deletes, every revision of the family that carries the pipeline's tag. */
  private async removeTaskDefinitions(pipeline: string): Promise<void> {
    const ours = async (arn: string) => {
      const id = await this.identify(arn);
      return id?.pipeline === pipeline && id.cluster === this.config.cluster;
    };
    for (const arn of await this.familyRevisions(pipeline, "ACTIVE")) {
      if (!(await ours(arn))) continue;
      await this.call(
        "DeregisterTaskDefinition",
        () => this.client.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn })),
        // Already deregistered by a concurrent converge.
        ["ClientException"],
      );
    }
    const inactive: string[] = [];
    for (const arn of await this.familyRevisions(pipeline, "INACTIVE"))
      if (await ours(arn)) inactive.push(arn);
    const failures: string[] = [];
    for (let i = 0; i < inactive.length; i += 10) {
      const out = await this.call("DeleteTaskDefinitions", () =>
        this.client.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: inactive.slice(i, i + 10) })),
      );
      for (const f of out?.failures ?? []) failures.push(`${f.arn ?? "?"}: ${f.reason ?? "failed"}`);
      for (const arn of inactive.slice(i, i + 10)) this.identities.delete(arn);
    }
    if (failures.length) {
      throw new ExecutorError(
        `ECS could not delete task definitions of ${familyName(pipeline)}: ${failures.join("; ")}`,
      );
    }
  }

  private async resolveIdentities(services: Service[]): Promise<void> {
    const arns = new Set<string>();
    for (const s of services) {
      if (s.taskDefinition) arns.add(s.taskDefinition);
      for (const d of s.deployments ?? []) if (d.taskDefinition) arns.add(d.taskDefinition);
    }
    await Promise.all([...arns].map((arn) => this.identify(arn)));
  }

  /** Version, digest and spec of a revision from its tags (cached); null if it is gone or untagged. */
  private async identify(arn: string): Promise<TaskDefinitionIdentity | null> {
    const known = this.identities.get(arn);
    if (known !== undefined) return known;
    const out = await this.call(
      "DescribeTaskDefinition",
      () => this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ["TAGS"] })),
      ["ClientException"],
    );
    const tags = fromTagList(out?.tags);
    const identity =
      out && tags[LABELS.pipeline]
        ? {
            pipeline: tags[LABELS.pipeline],
            version: tags[LABELS.version] ?? "",
            digest: tags[LABELS.digest] ?? "",
            spec: tags[SPEC_TAG],
            cluster: tags[CLUSTER_TAG],
          }
        : null;
    // A missing revision is not remembered: it may be registered under that ARN by no one, but
    // an ECS hiccup reported as ClientException must not stick.
    if (out) this.identities.set(arn, identity);
    return identity;
  }

  // --- calls ---------------------------------------------------------------------------------

  /**
   * One ECS call with bounded retries. Errors named in `tolerated` resolve to undefined (the
   * state we wanted is already there); others become ExecutorErrors naming the operation.
   */
  private async call<T>(
    operation: string,
    fn: () => Promise<T>,
    tolerated: string[] = [],
  ): Promise<T | undefined> {
    try {
      return await withRetry(fn, this.retry);
    } catch (err) {
      const name = (err as Error)?.name ?? "Error";
      if (tolerated.includes(name)) return undefined;
      if (err instanceof ReefError) throw err;
      const message = (err as Error)?.message ?? String(err);
      if (name === "ClusterNotFoundException") {
        throw new ExecutorError(
          `ECS cluster ${this.config.cluster} not found (REEF_ECS_CLUSTER): ${message}`,
          {
            operation,
            awsError: name,
          },
        );
      }
      throw new ExecutorError(`ECS ${operation} failed: ${name}: ${message}`, { operation, awsError: name });
    }
  }
}
