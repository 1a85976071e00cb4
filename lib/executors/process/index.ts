// The `process` executor: each execution is a detached runner process in its own process group,
// with a record under REEF_STATE_DIR. Executions outlive the control plane; a new executor
// instance adopts them from their records.
import { DEFAULT_STATE_DIR, settingsFrom } from "../../config";
import { spawn } from "node:child_process";
import { existsSync, openSync, closeSync } from "node:fs";
import { open, readFile, rm, stat } from "node:fs/promises";
import { resolve } from "node:path";
import {
  ExecutorError,
  LABELS,
  parseRunnerState,
  type Execution,
  type RunnerState,
  type StatusError,
} from "../../model";
import { executionEnvNames, executionLabels, hostEnv, runnerEnv, RUNNER_ENV } from "../env";
import type { ReplicaExecutor, StartSpec } from "../types";
import { RUN_LABEL, runEnvOf, type RunExecution, type RunExecutor, type RunSpec } from "../runs";
import { isAlive, processesWithEnv, processStartTime, terminate } from "../../processes";
import { RecordStore, type ProcessRecord } from "./records";

export interface ProcessExecutorOptions {
  stateDir: string;
  /** The runner bundle (dist/runner.mjs). */
  runnerPath: string;
  /** The control plane's env: executions get the host basics and the runner env from it (lib/executors/env.ts). */
  env: NodeJS.ProcessEnv;
  /** SIGTERM → SIGKILL grace period. */
  stopTimeoutMs: number;
}

export function createProcessExecutor(env: NodeJS.ProcessEnv = process.env): ProcessExecutor {
  const s = settingsFrom(env);
  return new ProcessExecutor({
    stateDir: resolve(s.stateDir ?? DEFAULT_STATE_DIR),
    runnerPath: resolve(s.runnerPath),
    env,
    stopTimeoutMs: s.stopTimeout,
  });
}

/**
 * A launch records the runner's pid within moments of creating the record; a record still without
 * a pid after this long belongs to a converge that died mid-launch. (Its pipeline's lease, held by
 * that converge, expires later still, so no live launch is ever taken for a dead one.)
 */
const LAUNCH_TIMEOUT_MS = 15_000;

export function processExecutionId(pipeline: string, replica: number): string {
  return `reef-${pipeline}-${replica}`;
}

export function processRunExecutionId(pipeline: string, run: string): string {
  return `reef-${pipeline}-run-${run}`;
}

export class ProcessExecutor implements ReplicaExecutor, RunExecutor {
  readonly kind = "process" as const;
  private readonly records: RecordStore;

  constructor(private readonly opts: ProcessExecutorOptions) {
    this.records = new RecordStore(opts.stateDir);
  }

  async list(pipeline?: string): Promise<Execution[]> {
    const records = await this.records.list();
    const mine = records.filter(
      (r) => !r.labels[RUN_LABEL] && (!pipeline || r.labels[LABELS.pipeline] === pipeline),
    );
    return Promise.all(mine.map((r) => this.observe(r)));
  }

  async listRuns(pipeline?: string): Promise<RunExecution[]> {
    const records = await this.records.list();
    const mine = records.filter(
      (r) => r.labels[RUN_LABEL] && (!pipeline || r.labels[LABELS.pipeline] === pipeline),
    );
    return Promise.all(
      mine.map(async (r) => {
        // alive first, then the state file (as observe does): read once for both
        const alive = isAlive(r.pid, r.startTime);
        const runner = await this.readRunnerState(r.id);
        const execution = this.executionOf(r, alive, runner);
        const exitCode =
          execution.state === "exited"
            ? 0
            : execution.state === "failed"
              ? runner?.state === "failed"
                ? runner.exitCode
                : 1
              : undefined;
        return { ...execution, run: r.labels[RUN_LABEL], ...(exitCode !== undefined ? { exitCode } : {}) };
      }),
    );
  }

  async startRun(spec: RunSpec): Promise<void> {
    executionEnvNames(this.opts.env);
    const runEnv = runEnvOf(spec); // a payload too large fails before a record exists
    const record: ProcessRecord = {
      id: processRunExecutionId(spec.pipeline, spec.run),
      labels: { ...executionLabels(spec), [RUN_LABEL]: spec.run },
      pid: null,
      startTime: null,
      desired: "running",
      createdAt: new Date().toISOString(),
      startedAt: null,
    };
    if (!(await this.records.create(record))) return;
    try {
      await this.launch(record, runEnv);
    } catch (err) {
      await this.records.remove(record.id); // never a record of a run that did not start
      throw err;
    }
  }

  async removeRun(execution: RunExecution): Promise<void> {
    await this.remove(execution);
  }

  async start(spec: StartSpec): Promise<void> {
    executionEnvNames(this.opts.env); // a malformed setting fails before a record exists
    const id = processExecutionId(spec.pipeline, spec.replica);
    const record: ProcessRecord = {
      id,
      labels: executionLabels(spec),
      pid: null,
      startTime: null,
      desired: "running",
      createdAt: new Date().toISOString(),
      startedAt: null,
    };
    if (!(await this.records.create(record))) {
      // Another converge created it first: the next converge sees it and acts on what it is.
      return;
    }
    await this.launch(record);
  }

  async resume(execution: Execution): Promise<void> {
    const id = execution.id;
    const record = await this.records.read(id);
    if (!record) throw new ExecutorError(`execution ${id} vanished before it could be resumed`);
    if (isAlive(record.pid, record.startTime)) {
      if (record.desired !== "running") await this.records.write({ ...record, desired: "running" });
      return;
    }
    // A runner of this execution still alive that no record names (the converge that launched it
    // died after the spawn): adopt it, never start a second one beside it. (A record that start()
    // has just created has no runner yet: only a resume looks.)
    const [orphan] = await this.unrecordedRunners(record);
    if (orphan) {
      await this.records.write({
        ...record,
        ...orphan,
        desired: "running",
        startedAt: new Date().toISOString(),
      });
      return;
    }
    await this.launch(record);
  }

  private async launch(record: ProcessRecord, runEnv: Record<string, string> = {}): Promise<void> {
    if (!existsSync(this.opts.runnerPath)) {
      throw new ExecutorError(
        `runner not found at ${this.opts.runnerPath}: run 'npm run build' or set REEF_RUNNER_PATH`,
      );
    }
    const statePath = this.records.runnerStatePath(record.id);
    await rm(statePath, { force: true });
    const spec: StartSpec = {
      pipeline: record.labels[LABELS.pipeline],
      version: record.labels[LABELS.version],
      digest: record.labels[LABELS.digest],
      replica: Number(record.labels[LABELS.replica]),
    };
    const log = openSync(this.records.logPath(record.id), "a");
    try {
      const child = spawn(process.execPath, [this.opts.runnerPath], {
        detached: true, // own process group: stop signals reach the engine too
        stdio: ["ignore", log, log],
        env: {
          ...hostEnv(this.opts.env),
          ...runnerEnv(spec, this.opts.env),
          ...runEnv,
          [RUNNER_ENV.stateFile]: statePath,
        },
      });
      const pid = await new Promise<number>((resolvePid, reject) => {
        child.once("error", reject);
        child.once("spawn", () => resolvePid(child.pid!));
      });
      child.unref();
      await this.records.write({
        ...record,
        pid,
        startTime: processStartTime(pid),
        desired: "running",
        startedAt: new Date().toISOString(),
      });
    } finally {
      closeSync(log);
    }
  }

  async stop(execution: Execution): Promise<void> {
    const record = await this.records.read(execution.id);
    if (!record) return;
    await this.records.write({ ...record, desired: "stopped" });
    await this.kill(record);
  }

  async remove(execution: Execution): Promise<void> {
    const record = await this.records.read(execution.id);
    if (!record) return;
    await this.kill(record);
    await this.records.remove(execution.id);
  }

  /** Stops the recorded runner and any of this execution that no record names. */
  private async kill(record: ProcessRecord): Promise<void> {
    const targets = [
      ...(record.pid !== null ? [{ pid: record.pid, startTime: record.startTime }] : []),
      ...(await this.unrecordedRunners(record)),
    ];
    for (const target of targets) {
      if (!(await terminate(target.pid, target.startTime, this.opts.stopTimeoutMs))) {
        throw new ExecutorError(`execution ${record.id} (pid ${target.pid}) did not stop after SIGKILL`);
      }
    }
  }

  /**
   * Live runners of this execution other than the recorded one: a converge that launched one died
   * between the spawn and the record's update. A runner is ours only if it runs with this
   * execution's state file in its environment (the state file itself may not be written yet).
   */
  private async unrecordedRunners(record: ProcessRecord): Promise<{ pid: number; startTime: string }[]> {
    const marker = `${RUNNER_ENV.stateFile}=${this.records.runnerStatePath(record.id)}`;
    // the runner leads its own process group; its engine, a child in that group, carries the entry too
    const runners = await processesWithEnv(marker, { groupLeaders: true });
    return runners.filter((r) => r.pid !== record.pid || r.startTime !== record.startTime);
  }

  private async observe(record: ProcessRecord): Promise<Execution> {
    // alive first, then the state file: a runner found dead has written its last state
    const alive = isAlive(record.pid, record.startTime);
    return this.executionOf(record, alive, await this.readRunnerState(record.id));
  }

  /** The execution of a record, from whether its runner is alive and the runner's state file. */
  private executionOf(record: ProcessRecord, alive: boolean, runner: RunnerState | null): Execution {
    const base = {
      id: record.id,
      pipeline: record.labels[LABELS.pipeline],
      version: record.labels[LABELS.version],
      digest: record.labels[LABELS.digest],
      replica: Number(record.labels[LABELS.replica]),
      ...(record.startedAt ? { startedAt: record.startedAt } : {}),
    };
    if (alive) {
      // Stopping in progress counts as pending; running once the runner says its engine started.
      if (record.desired === "stopped") return { ...base, state: "pending" };
      return { ...base, state: runner?.state === "running" ? "running" : "pending" };
    }
    if (record.desired === "stopped") return { ...base, state: "stopped" };
    if (record.pid === null) {
      // created, launch under way — unless the converge that launched it died (SIGKILL, OOM)
      // before it could record the pid: then resuming it starts (or adopts) its runner
      if (Date.now() - Date.parse(record.createdAt) < LAUNCH_TIMEOUT_MS) return { ...base, state: "pending" };
      return {
        ...base,
        state: "failed",
        error: {
          code: "EXECUTOR_ERROR",
          message: "its launch was interrupted (the converge that started it ended)",
        },
      };
    }
    if (runner?.state === "exited") return { ...base, state: "exited" };
    const error: StatusError =
      runner?.state === "failed"
        ? runner.error
        : {
            code: "ENGINE_FAILED",
            message: `runner exited unexpectedly: see ${this.records.logPath(record.id)}`,
          };
    return { ...base, state: "failed", error };
  }

  private async readRunnerState(id: string): Promise<RunnerState | null> {
    const text = await readFile(this.records.runnerStatePath(id), "utf8").catch(() => "");
    return parseRunnerState(text);
  }

  async *logs(
    execution: Execution,
    opts: { follow?: boolean; tail?: number; signal?: AbortSignal } = {},
  ): AsyncIterable<string> {
    const path = this.records.logPath(execution.id);
    let text = "";
    try {
      text = await readFile(path, "utf8");
    } catch {
      if (!opts.follow) return;
    }
    let lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    if (opts.tail !== undefined) lines = lines.slice(-opts.tail);
    yield* lines;
    if (!opts.follow) return;
    let offset = Buffer.byteLength(text);
    let partial = "";
    while (!opts.signal?.aborted) {
      await new Promise((r) => setTimeout(r, 200));
      const size = await stat(path).then(
        (s) => s.size,
        () => 0,
      );
      if (size < offset) offset = 0; // rotated or recreated
      if (size === offset) continue;
      const fh = await open(path, "r");
      const buf = Buffer.alloc(size - offset);
      await fh.read(buf, 0, buf.length, offset);
      await fh.close();
      offset = size;
      const chunk = partial + buf.toString("utf8");
      const parts = chunk.split("\n");
      partial = parts.pop() ?? "";
      yield* parts;
    }
  }
}
