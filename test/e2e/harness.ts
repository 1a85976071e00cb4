// End-to-end harness: the real functions under serverless-offline (one instance per test file), the
// bridge as a real child process (`node dist/reef.mjs bridge`, so SIGKILL is real), the process
// executor with the fixture engine, unique buckets, ports, state dir and esbuild folder per file.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { applyPlan } from "../../lib/converge";
import { createProcessExecutor } from "../../lib/executors/process";
import { freePort, portAnswers, startOffline, type Offline } from "../../lib/local";
import { readEvents } from "../../lib/store";
import { openTestStore, uniqueSuffix, waitFor, type TestStore } from "../helpers/nats";

export const ROOT = resolve(import.meta.dirname, "../..");
export const FAKE_ENGINE = join(ROOT, "test/fixtures/fake-engine.mjs");

export interface Stack {
  t: TestStore;
  env: Record<string, string>;
  stateDir: string;
  offline: Offline;
  /** The HTTP API (the api function): http://127.0.0.1:<port>. */
  httpUrl: string;
  startBridge(extra?: Record<string, string>): BridgeProc;
  close(): Promise<void>;
}

export interface BridgeProc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** SIGTERM (graceful drain) and wait, or SIGKILL. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startStack(extraEnv: Record<string, string> = {}): Promise<Stack> {
  const t = await openTestStore();
  const suffix = uniqueSuffix();
  const stateDir = mkdtempSync(join(tmpdir(), "reef-e2e-state-"));
  // under .reef/: ignored by git, eslint and prettier, and never removed by a concurrent `serverless package`
  const esbuildFolder = `.reef/esbuild-e2e-${suffix}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    ...t.env,
    REEF_EXECUTOR: "process",
    REEF_ENGINE: FAKE_ENGINE,
    REEF_STATE_DIR: stateDir,
    REEF_RUNNER_PATH: join(ROOT, "dist/runner.mjs"),
    REEF_STOP_TIMEOUT: "5",
    REEF_ESBUILD_WORK_FOLDER: esbuildFolder,
    REEF_OFFLINE_WATCH: ".reef-no-watch",
    POWERTOOLS_LOG_LEVEL: "WARN",
    ...extraEnv,
  };
  const lambdaPort = await freePort();
  const httpPort = await freePort();
  const offline = await startOffline({
    projectDir: ROOT,
    lambdaPort,
    httpPort,
    env: { ...env, REEF_WEBSOCKET_PORT: String(await freePort()), REEF_ALB_PORT: String(await freePort()) },
    startTimeoutMs: 60_000,
  });
  // the Lambda port answers first; requests to the HTTP port are refused until it listens too
  await waitFor(() => portAnswers("127.0.0.1", httpPort), "the http port of serverless-offline", 30_000);
  const bridges: BridgeProc[] = [];

  return {
    t,
    env,
    stateDir,
    offline,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    startBridge(extra = {}) {
      const child = spawn(process.execPath, [join(ROOT, "dist/reef.mjs"), "bridge"], {
        env: {
          ...env,
          REEF_LAMBDA_ENDPOINT: offline.lambdaEndpoint,
          REEF_BRIDGE_DURABLE: "e2e",
          REEF_LOG_LEVEL: "INFO",
          REEF_BRIDGE_RETRY_BASE: "50ms",
          REEF_BRIDGE_RETRY_MAX: "500ms",
          ...extra,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const lines: string[] = [];
      for (const s of [child.stdout!, child.stderr!])
        createInterface({ input: s }).on("line", (l) => lines.push(l));
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      const proc: BridgeProc = {
        child,
        lines,
        exited,
        async stop(signal = "SIGTERM") {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      };
      bridges.push(proc);
      return proc;
    },
    async close() {
      await Promise.all(bridges.map((b) => b.stop("SIGKILL")));
      await offline.stop();
      await removeAllExecutions(env);
      await t.close();
      rmSync(join(ROOT, esbuildFolder), { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Leaves no process behind, whatever the test did. */
export async function removeAllExecutions(env: Record<string, string>): Promise<void> {
  const executor = createProcessExecutor(env);
  const all = await executor.list();
  for (const pipeline of new Set(all.map((e) => e.pipeline))) {
    await applyPlan(executor, {
      pipeline,
      target: { state: "absent" },
      actions: all.filter((e) => e.pipeline === pipeline).map((execution) => ({ type: "remove", execution })),
    });
  }
}

export async function listExecutions(env: Record<string, string>, pipeline?: string) {
  return createProcessExecutor(env).list(pipeline);
}

export async function eventRecords(t: TestStore, pipeline: string) {
  return (await readEvents(t.store, { pipeline })).map((e) => e.record!);
}
