// The Docker executor: one container per (pipeline, replica), named `reef-<id>-<replica>`,
// labelled with pipeline, version, digest and replica. The planner decides what to do and
// lib/converge applies it step by step; every step here is idempotent and re-inspects on
// 304/404/409 instead of failing blindly.
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { ExecutorError, LABELS, NameConflictError, sleep, type Execution } from "../../model";
import { RUNNER_ENV, executionLabels, runnerEnv } from "../env";
import type { ReplicaExecutor, StartSpec } from "../types";
import { RUN_LABEL, runEnvOf, type RunExecution, type RunExecutor, type RunSpec } from "../runs";
import { dockerClient, dockerMessage, statusCodeOf } from "./client";
import { ensureLocalRunnerImage, isLocalRunnerImage } from "./local-image";
import { demuxBuffer, demuxStream } from "./logs";
import { CREDS_MOUNT, dockerSettings, type DockerSettings } from "./settings";
import { STATE_DIR, STATE_FILE, readRunnerState, stateVolume } from "./runner-state";
import { secretBinds, writeSecretFiles } from "./secrets";
import {
  RUNNING_POLICY,
  STOPPED_POLICY,
  executionOf,
  failureFrom,
  needsFailureReason,
  runExecutionOf,
  runFailed,
  type ContainerInfo,
} from "./state";

/** Deterministic container name of a replica: the same slot always maps to the same name. */
export function containerName(pipeline: string, replica: number): string {
  return `reef-${pipeline}-${replica}`;
}

/** How a start fails on a container whose containerd task outlived a daemon restart. */
const STALE_TASK = /already exists|id already in use/i;

/** The container of one job run (CONTRACT.md §8): unique per run, never reused. */
export function runContainerName(pipeline: string, run: string): string {
  return `reef-${pipeline}-run-${run}`;
}

export const SCOPE_LABEL = "reef.scope";

/** Bound on the start/replace loop when the daemon keeps answering 404/409 (concurrent changes). */
const SETTLE_BOUND_MS = 15_000;
/** Bound on removal retries while the daemon reports a removal already in progress. */
const MAX_ATTEMPTS = 5;
const FAILURE_TAIL_LINES = 30;

export class DockerExecutor implements ReplicaExecutor, RunExecutor {
  readonly kind = "docker" as const;
  private imageBuild?: Promise<unknown>;
  private readonly confirmed = new Set<string>();

  /**
   * @param docker client for control calls, with an idle timeout so a hung daemon cannot hang a converge
   * @param streams client without a timeout, for followed logs and image imports
   */
  constructor(
    readonly docker: Docker,
    readonly settings: DockerSettings,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly streams: Docker = docker,
  ) {}

  async list(pipeline?: string): Promise<Execution[]> {
    const infos = await this.labelled(pipeline, false);
    const executions = await Promise.all(infos.map((info) => this.executionOf(info)));
    return executions.sort((a, b) => a.pipeline.localeCompare(b.pipeline) || a.replica - b.replica);
  }

  /** This scope's containers of a pipeline (or of all), runs or replicas, inspected. */
  private async labelled(pipeline: string | undefined, runs: boolean): Promise<ContainerInfo[]> {
    const label = [pipeline ? `${LABELS.pipeline}=${pipeline}` : LABELS.pipeline];
    if (this.settings.scope) label.push(`${SCOPE_LABEL}=${this.settings.scope}`);
    const summaries = await this.call("list containers", () =>
      this.docker.listContainers({ all: true, filters: { label } }),
    );
    const mine = summaries.filter(
      (c) =>
        (c.Labels?.[SCOPE_LABEL] ?? undefined) === this.settings.scope &&
        (c.Labels?.[RUN_LABEL] !== undefined) === runs,
    );
    const infos = await Promise.all(mine.map((c) => this.inspect(c.Id)));
    return infos.filter((i): i is ContainerInfo => i !== null);
  }

  // ---- job runs (CONTRACT.md §8): a container per run, restart policy `no`, never restarted ----

  async listRuns(pipeline?: string): Promise<RunExecution[]> {
    const infos = await this.labelled(pipeline, true);
    return Promise.all(
      infos.map(async (info) =>
        runExecutionOf(info, runFailed(info) ? await this.failureReason(info) : undefined),
      ),
    );
  }

  /** Creates and starts the run's container; a run already created is not started twice. */
  async startRun(spec: RunSpec): Promise<void> {
    const runEnv = runEnvOf(spec); // a payload too large fails before a container exists
    writeSecretFiles(this.settings.secretsDir, this.env);
    const name = runContainerName(spec.pipeline, spec.run);
    const existing = await this.inspect(name);
    if (existing) {
      if (existing.Config?.Labels?.[RUN_LABEL] !== spec.run) throw new NameConflictError(name);
      return;
    }
    const base = this.containerConfig(spec);
    const config: Docker.ContainerCreateOptions = {
      ...base,
      Env: [...(base.Env ?? []), ...Object.entries(runEnv).map(([k, v]) => `${k}=${v}`)],
      Labels: { ...base.Labels, [RUN_LABEL]: spec.run },
      HostConfig: { ...base.HostConfig, RestartPolicy: { Name: STOPPED_POLICY, MaximumRetryCount: 0 } },
    };
    const id = await this.create(name, config);
    if (id === null) return; // created by a concurrent trigger of the same run
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      if (statusCodeOf(err) === 304) return;
      await this.removeContainer(id).catch(() => undefined); // never a container of a run that did not start
      throw new ExecutorError(`cannot start container ${name}: ${dockerMessage(err)}`);
    }
  }

  /** Stops the run's container if it still runs and removes it with its volumes. */
  async removeRun(execution: RunExecution): Promise<void> {
    await this.removeContainer(execution.id);
  }

  async *logs(
    execution: Execution,
    opts: { follow?: boolean; tail?: number; signal?: AbortSignal } = {},
  ): AsyncIterable<string> {
    const c = this.streams.getContainer(execution.id);
    const base = { stdout: true, stderr: true, ...(opts.tail !== undefined ? { tail: opts.tail } : {}) };
    if (!opts.follow) {
      const buf = await this.call(`logs of ${execution.id}`, () => c.logs({ ...base, follow: false }));
      for (const l of demuxBuffer(buf)) yield l.line;
      return;
    }
    const stream = await this.call(`logs of ${execution.id}`, () => c.logs({ ...base, follow: true }));
    for await (const l of demuxStream(stream as Readable, opts.signal)) yield l.line;
  }

  async close(): Promise<void> {
    // dockerode keeps no pooled connection to release.
  }

  /** Creates the replica's container if absent and starts it; replaces one of another version. */
  async start(spec: StartSpec): Promise<void> {
    writeSecretFiles(this.settings.secretsDir, this.env);
    const name = containerName(spec.pipeline, spec.replica);
    const deadline = Date.now() + SETTLE_BOUND_MS;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const existing = await this.inspect(name);
      if (existing) {
        const labels = existing.Config?.Labels ?? {};
        if (labels[LABELS.pipeline] !== spec.pipeline || labels[SCOPE_LABEL] !== this.settings.scope) {
          throw new NameConflictError(name);
        }
        if (matches(existing, spec)) {
          if (await this.ensureRunning(existing)) return;
        } else {
          await this.removeContainer(existing.Id); // another version or digest in this slot: replace it
        }
        continue;
      }
      const created = await this.create(name, this.containerConfig(spec));
      if (created) {
        const info = await this.inspect(created);
        if (info && (await this.ensureRunning(info))) return;
        continue;
      }
      // 409: another converge is creating it right now. The daemon reserves the name before the
      // container can be inspected, so give it a moment before looking again.
      await sleep(Math.min(25 * 2 ** attempt, 500));
    }
    throw new ExecutorError(
      `could not start ${name}: it kept changing under us for ${SETTLE_BOUND_MS / 1000} s`,
    );
  }

  async resume(execution: Execution): Promise<void> {
    writeSecretFiles(this.settings.secretsDir, this.env);
    const info = await this.inspect(execution.id);
    if (info && (await this.ensureRunning(info))) return;
    await this.start({ ...execution }); // gone: start the slot afresh
  }

  /** Stops but keeps the container; marks it as stopped by reef (restart policy `no`). */
  async stop(execution: Execution): Promise<void> {
    const c = this.docker.getContainer(execution.id);
    try {
      await c.update({ RestartPolicy: { Name: STOPPED_POLICY, MaximumRetryCount: 0 } });
      await c.stop({ t: this.settings.stopTimeout });
    } catch (err) {
      const code = statusCodeOf(err);
      if (code === 304 || code === 404) return; // already stopped, or gone
      throw new ExecutorError(`cannot stop container ${execution.id}: ${dockerMessage(err)}`);
    }
  }

  async remove(execution: Execution): Promise<void> {
    await this.removeContainer(execution.id);
  }

  /** Stops (bounded) then removes a container and its anonymous volumes. Gone already is fine. */
  private async removeContainer(id: string): Promise<void> {
    const c = this.docker.getContainer(id);
    try {
      await c.stop({ t: this.settings.stopTimeout });
    } catch (err) {
      const code = statusCodeOf(err);
      // 304 stopped already, 404 gone, 409 being removed: the removal below sorts it out.
      if (code !== 304 && code !== 404 && code !== 409) {
        throw new ExecutorError(`cannot stop container ${id}: ${dockerMessage(err)}`);
      }
    }
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        await c.remove({ force: true, v: true });
        return;
      } catch (err) {
        const code = statusCodeOf(err);
        if (code === 404) return;
        if (code !== 409) throw new ExecutorError(`cannot remove container ${id}: ${dockerMessage(err)}`);
        // 409: a removal is already in progress; wait for it to finish.
        if (await this.waitGone(id, 5_000)) return;
      }
    }
    throw new ExecutorError(`container ${id} is still there after ${MAX_ATTEMPTS} removal attempts`);
  }

  /**
   * Starts a container of ours if it is not running. False if it vanished meanwhile, or could not
   * start again and was removed (the caller creates it afresh).
   */
  private async ensureRunning(info: ContainerInfo): Promise<boolean> {
    const c = this.docker.getContainer(info.Id);
    try {
      if (info.HostConfig?.RestartPolicy?.Name !== RUNNING_POLICY) {
        await c.update({ RestartPolicy: { Name: RUNNING_POLICY, MaximumRetryCount: 0 } });
      }
      if (info.State.Paused) await c.unpause();
      if (info.State.Running || info.State.Restarting) return true; // the daemon restarts it itself
      await c.start();
      return true;
    } catch (err) {
      const code = statusCodeOf(err);
      if (code === 304) return true; // already started
      if (code === 404) return false;
      if (STALE_TASK.test(dockerMessage(err))) {
        // The daemon restarted while this container ran, and containerd kept its old task: Docker
        // cannot start it again (moby/moby#38346). A replica holds nothing: replace it.
        await this.removeContainer(info.Id);
        return false;
      }
      throw new ExecutorError(
        `cannot start container ${info.Name.replace(/^\//, "")}: ${dockerMessage(err)}`,
      );
    }
  }

  /** Creates the container; returns its id, or null when the name was taken meanwhile (409). */
  private async create(name: string, config: Docker.ContainerCreateOptions): Promise<string | null> {
    try {
      const c = await this.docker.createContainer({ name, ...config });
      return c.id;
    } catch (err) {
      const code = statusCodeOf(err);
      if (code === 409) return null;
      if (code === 404 && /image/i.test(dockerMessage(err))) {
        await this.provideImage(err);
        return this.create(name, config);
      }
      throw new ExecutorError(`cannot create container ${name}: ${dockerMessage(err)}`);
    }
  }

  /** Builds the default local image once when missing; any other missing image is an error. */
  private async provideImage(cause: unknown): Promise<void> {
    const image = this.settings.image;
    if (!isLocalRunnerImage(image) || this.imageBuild) {
      throw new ExecutorError(
        `runner image ${image} not found (${dockerMessage(cause)}): build it with 'npm run image:local' or set REEF_RUNNER_IMAGE`,
      );
    }
    this.imageBuild = ensureLocalRunnerImage({ docker: this.streams, env: this.env, image });
    await this.imageBuild;
  }

  /** The container's create options: non-root, no capabilities, read-only root, bounded. */
  containerConfig(spec: StartSpec): Docker.ContainerCreateOptions {
    const s = this.settings;
    const env = runnerEnv(spec, this.env);
    const binds = [...s.binds];
    env[RUNNER_ENV.stateFile] = `${STATE_DIR}/${STATE_FILE}`;
    if (s.credsFile) {
      binds.push(`${s.credsFile}:${CREDS_MOUNT}:ro`);
      env.NATS_CREDS = CREDS_MOUNT;
    }
    binds.push(...secretBinds(s.secretsDir, env, Boolean(s.credsFile)));
    return {
      Image: s.image,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: { ...executionLabels(spec), ...(s.scope ? { [SCOPE_LABEL]: s.scope } : {}) },
      User: s.user,
      StopTimeout: s.stopTimeout,
      HostConfig: {
        RestartPolicy: { Name: RUNNING_POLICY, MaximumRetryCount: 0 },
        Init: true, // tini as PID 1: signals reach the runner, zombies are reaped
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges:true"],
        ReadonlyRootfs: true,
        Tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
        NetworkMode: s.network,
        ...(s.memory ? { Memory: s.memory } : {}),
        ...(s.nanoCpus ? { NanoCpus: s.nanoCpus } : {}),
        ...(binds.length ? { Binds: binds } : {}),
        Mounts: [stateVolume(s.user)],
        LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
      },
    };
  }

  private async inspect(idOrName: string): Promise<ContainerInfo | null> {
    try {
      return await this.docker.getContainer(idOrName).inspect();
    } catch (err) {
      if (statusCodeOf(err) === 404) return null;
      throw new ExecutorError(`cannot inspect container ${idOrName}: ${dockerMessage(err)}`);
    }
  }

  private async executionOf(info: ContainerInfo): Promise<Execution> {
    const e = executionOf(info, needsFailureReason(info) ? await this.failureReason(info) : undefined);
    if (e.state === "running" && !(await this.runnerStarted(info))) e.state = "pending";
    return e;
  }

  /**
   * Whether the runner in a running container has fetched and checked its config and started the
   * engine: it says so in its state file (REEF_RUNNER_STATE_FILE on a small tmpfs volume, read with
   * the archive API). Confirmed (container, start) pairs are remembered so this is read once.
   */
  private async runnerStarted(info: ContainerInfo): Promise<boolean> {
    const key = `${info.Id}@${info.State.StartedAt}`;
    if (this.confirmed.has(key)) return true;
    const state = await readRunnerState(this.docker.getContainer(info.Id));
    if (state === "unreadable") return true; // cannot tell (e.g. archive API refused): trust Docker
    const startedAt = Date.parse(info.State.StartedAt);
    const fresh = state && (!state.at || Date.parse(state.at) >= startedAt - 1_000);
    if (fresh && state.state === "running") {
      if (this.confirmed.size > 10_000) this.confirmed.clear();
      this.confirmed.add(key);
      return true;
    }
    return false;
  }

  /** Why a container ended with an error: the runner's fatal line in its stderr tail, if any. */
  private async failureReason(info: ContainerInfo) {
    let tail: string[] = [];
    try {
      const buf = await this.docker
        .getContainer(info.Id)
        .logs({ stdout: false, stderr: true, follow: false, tail: FAILURE_TAIL_LINES });
      tail = demuxBuffer(buf)
        .filter((l) => l.stream === "stderr")
        .map((l) => l.line);
    } catch {
      // logs unavailable (removed meanwhile, driver without read support): report the exit code
    }
    return failureFrom(info.State.ExitCode, tail, info.State.OOMKilled);
  }

  private async waitGone(id: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!(await this.inspect(id))) return true;
      await sleep(100);
    }
    return false;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new ExecutorError(`docker: cannot ${what}: ${dockerMessage(err)}`);
    }
  }
}

function matches(info: ContainerInfo, spec: StartSpec): boolean {
  const l = info.Config?.Labels ?? {};
  return (
    l[LABELS.pipeline] === spec.pipeline &&
    l[LABELS.version] === spec.version &&
    l[LABELS.digest] === spec.digest &&
    l[LABELS.replica] === String(spec.replica)
  );
}

export function createDockerExecutor(env: NodeJS.ProcessEnv = process.env): DockerExecutor {
  const settings = dockerSettings(env);
  // Idle bound per request: longer than the longest legitimate silence (a stop waits stopTimeout).
  const controlTimeoutMs = (settings.stopTimeout + 30) * 1_000;
  return new DockerExecutor(dockerClient(env, controlTimeoutMs), settings, env, dockerClient(env));
}
