// `npm start` (reef up) and `npm run down` (reef down): the whole system on one machine.
//   nats-server (JetStream, unless NATS_URL answers) → buckets → serverless-offline (the functions)
//   → the bridge (in this process). Ctrl-C stops all of that (CONTRACT.md §5) but not the
//   executions: they keep running, reconnect when NATS is back, and are adopted by the next start's
//   reconcile. `down` stops the executions (and a nats-server left behind by a crashed start).
import { settingsFrom } from "../config";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { apiKeyForLocalStack } from "../api";
import { startBridge, type RunningBridge } from "../bridge";
import { applyPlan } from "../converge";
import { chooseExecutorKind, createExecutor } from "../executors";
import type { Executor } from "../executors";
import type { Execution, ExecutorKind } from "../model";
import { eventsRetentionFromEnv, Store, storeNamesFromEnv } from "../store";
import { LocalStackError } from "./errors";
import { portAnswers, startNatsServer, type NatsServer } from "./nats-server";
import { ensureLocalNatsAuth } from "./nats-auth";
import { assertPortsFree, offlinePorts, startOffline, type Offline } from "./offline";
import { localPaths, projectDir, type LocalPaths } from "./paths";
import { ownedPid, removePid, terminatePid, writePid } from "./pidfile";
import { startTether } from "./tether";
import { loadSample } from "./sample";

export interface Printer {
  /** A line for people (the summary). */
  say(line: string): void;
  /** A line of output of a component (serverless-offline), prefixed by the caller. */
  echo?(source: string, line: string): void;
}

export interface UpOptions {
  env?: NodeJS.ProcessEnv;
  print: Printer;
  /** Skip loading the sample pipeline. */
  noSample?: boolean;
}

export interface RunningStack {
  natsUrl: string;
  /** True when this start launched nats-server (stop() stops it again). */
  startedNats: boolean;
  executor: ExecutorKind;
  offline: Offline;
  bridge: RunningBridge;
  /** Stops bridge, functions and the nats-server this start launched (not the executions). */
  stop(): Promise<void>;
}

/** host:port of the first NATS URL, if it is on this machine. */
function loopbackPort(url: string): number | null {
  const first = url.split(",")[0]!.trim();
  try {
    const u = new URL(first.includes("://") ? first : `nats://${first}`);
    if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(u.hostname)) return null;
    return Number(u.port || 4222);
  } catch {
    return null;
  }
}

export async function up(opts: UpOptions): Promise<RunningStack> {
  const env = opts.env ?? process.env;
  const { say } = opts.print;
  const project = projectDir();
  const paths = localPaths(env, project);
  mkdirSync(paths.logs, { recursive: true });

  const other = ownedPid(paths.upPidFile);
  if (other && other.pid !== process.pid) {
    throw new LocalStackError(
      `reef up already runs (pid ${other.pid}); stop it with Ctrl-C there, or 'npm run down'`,
    );
  }
  writePid(paths.upPidFile, process.pid);

  const { natsPort, lambdaPort, httpPort } = settingsFrom(env);

  // What this start launched, undone in reverse order by stop() or by a failed start.
  const undo: (() => Promise<void>)[] = [async () => removePid(paths.upPidFile)];
  const unwind = async () => {
    for (const step of undo.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const ended = await endLeftovers(paths, say);
    await assertPortsFree(offlinePorts({ lambdaPort, httpPort }), ended ? 10_000 : 0);

    // The tether ends nats-server and serverless-offline whenever this process ends, however it dies.
    const tether = startTether({ projectDir: project, graceMs: 5_000 });
    writePid(paths.tetherPidFile, tether.pid);
    undo.push(async () => {
      tether.close();
      removePid(paths.tetherPidFile);
    });

    // 1. NATS: reuse whatever answers at NATS_URL, else start a local JetStream server that requires
    //    the credentials kept in REEF_HOME (CONTRACT.md §5).
    const natsUrl = env.NATS_URL || `nats://127.0.0.1:${natsPort}`;
    let natsServer: NatsServer | undefined;
    const lp = loopbackPort(natsUrl);
    const answers = lp !== null ? await portAnswers("127.0.0.1", lp) : true;
    if (!answers) {
      const auth = ensureLocalNatsAuth(paths.home);
      const server = (natsServer = await startNatsServer({
        port: lp!,
        storeDir: paths.natsStore,
        logFile: join(paths.logs, "nats-server.log"),
        configFile: auth.configFile,
        detached: true, // its own process group: a Ctrl-C reaches it only through stop()
      }));
      tether.own(server.pid);
      writePid(paths.natsPidFile, server.pid, { url: natsUrl });
      undo.push(async () => {
        await server.stop();
        tether.release(server.pid);
        removePid(paths.natsPidFile);
        say(`nats-server   stopped (data kept in ${paths.natsStore}); executions keep running`);
      });
      // Everything below (handlers, bridge, executions) authenticates with them.
      delete env.NATS_CREDS;
      delete env.NATS_TOKEN;
      env.NATS_USER = auth.user;
      env.NATS_PASSWORD = auth.password;
      say(`nats-server   started on ${natsUrl} (JetStream store ${paths.natsStore}, pid ${server.pid})`);
      say(`nats auth     user ${auth.user}, password in ${auth.configFile} (mode 0600; npx reef finds it)`);
    } else {
      say(`nats-server   using ${natsUrl}${lp === null ? "" : " (already running)"}`);
    }
    // Everything below (handlers, bridge, executions) sees the same settings.
    env.NATS_URL = natsUrl;
    env.REEF_STATE_DIR = paths.stateDir;
    env.REEF_STAGE = settingsFrom(env).stage;

    // 2. Buckets (Store.open creates what is missing) and the sample pipeline.
    const store = await Store.connect({
      name: "reef-up",
      env,
      names: storeNamesFromEnv(env),
      ...eventsRetentionFromEnv(env),
    });
    let sampleLine: string | undefined;
    try {
      say(
        `buckets       ${store.names.pipelines} (KV), ${store.names.configs} (objects), ${store.names.status} (KV), ${store.names.events} (stream)`,
      );
      if (!opts.noSample) {
        const sample = await loadSample(store, project);
        sampleLine = sample.created
          ? `sample        pipeline '${sample.id}' loaded as a draft (infra/local/sample/)`
          : `sample        pipeline '${sample.id}' exists already: left as it is`;
        if (sample.configProblem) sampleLine += ` — config not stored: ${sample.configProblem}`;
      }
    } finally {
      await store.close();
    }
    if (sampleLine) say(sampleLine);

    // 3. Executor (CONTRACT.md §4), fixed for handlers and bridge alike.
    const executor = await chooseExecutorKind(env);
    env.REEF_EXECUTOR = executor;
    say(
      `executor      ${executor} — ${
        executor === "process"
          ? `executions are child processes, records in ${paths.stateDir}`
          : executor === "docker"
            ? "executions are containers (labels reef.pipeline/version/digest)"
            : executor === "host"
              ? "executions are streams inside reef hosts (REEF_HOSTS)"
              : "executions are ECS services"
      } (REEF_EXECUTOR to choose)`,
    );

    if (executor === "docker") {
      const { ensureLocalRunnerImage } = await import("../executors/docker");
      const image = await ensureLocalRunnerImage({ env });
      say(
        image.skipped
          ? `runner image  ${image.image}: ${image.skipped}`
          : `runner image  ${image.image} ${image.built ? "built (no registry needed)" : "up to date"}`,
      );
    }

    if (executor === "host") {
      const { localHostCount, superviseHosts } = await import("./hosts");
      const count = localHostCount(env);
      const hosts = superviseHosts({
        count,
        runnerPath: resolve(project, "dist", "runner.mjs"),
        env,
        logDir: paths.logs,
        own: (pid) => tether.own(pid),
        release: (pid) => tether.release(pid),
        say,
        stopTimeoutMs: settingsFrom(env).stopTimeout,
      });
      undo.push(() => hosts.stop());
      say(
        `hosts         ${count} reef host(s) local-0…, restarted when they die; logs in ${paths.logs}/host-<n>.log`,
      );
    }

    // The HTTP api requires `x-api-key`; the key is kept in .reef/api-key across starts.
    const apiKey = apiKeyForLocalStack({ env, stateDir: paths.home });
    env.REEF_API_KEY = apiKey;

    // 4. The functions under serverless-offline.
    say(`functions     starting serverless-offline (bundling takes a few seconds)…`);
    const offline = await startOffline({
      projectDir: project,
      lambdaPort,
      httpPort,
      env,
      logFile: join(paths.logs, "functions.log"),
      onLine: (line) => opts.print.echo?.("functions", line),
      startTimeoutMs: settingsFrom(env).offlineStartTimeout,
      onSpawn: (pid) => {
        tether.own(pid);
        writePid(paths.offlinePidFile, pid);
      },
    });
    undo.push(async () => {
      await offline.stop();
      tether.release(offline.pid);
      removePid(paths.offlinePidFile);
    });
    const fns = offline.functions.length
      ? offline.functions.join(", ")
      : `reef-${settingsFrom(env).stage}-converge, …`;
    say(
      `functions     ${fns}: Lambda API on ${offline.lambdaEndpoint}, HTTP on http://127.0.0.1:${httpPort}`,
    );
    say(`api key       ${apiKey} (header x-api-key; kept in ${join(paths.home, "api-key")})`);
    say(`console       http://127.0.0.1:${httpPort}/ui (asks for the api key once)`);

    // 5. The bridge, in this process.
    env.REEF_LAMBDA_ENDPOINT = offline.lambdaEndpoint;
    const bridge = await startBridge({ env });
    undo.push(() => bridge.stop());
    say(
      `bridge        consuming ${settingsFrom(env).pipelinesBucket} changes → converge; reconcile every ${Math.round(bridge.config.resyncIntervalMs / 1000)} s`,
    );

    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= unwind());
    // serverless-offline dying under us is fatal for the control plane: stop the rest too.
    void offline.exited.then(() => {
      if (!stopping) {
        say("functions     serverless-offline exited unexpectedly: stopping (see .reef/logs/functions.log)");
        process.exitCode = 1;
        void stop();
      }
    });
    return { natsUrl, startedNats: natsServer !== undefined, executor, offline, bridge, stop };
  } catch (err) {
    await unwind();
    throw err;
  }
}

/**
 * A start that did not stop (SIGKILL, OOM, a closed terminal) may have left its serverless-offline
 * and nats-server running (its tether ends them within seconds, unless it died too). End what is
 * provably that start's (pid file and /proc start time agree), so this start finds its ports free.
 * Anything else on the ports is someone else's and gets a clear message instead. True when it
 * ended something.
 */
async function endLeftovers(paths: LocalPaths, say: Printer["say"]): Promise<boolean> {
  const leftovers = [
    { file: paths.offlinePidFile, what: "serverless-offline", graceMs: 5_000 },
    { file: paths.natsPidFile, what: "nats-server", graceMs: 10_000 },
  ];
  let ended = false;
  for (const { file, what, graceMs } of leftovers) {
    const record = ownedPid(file);
    if (record) {
      ended = true;
      const gone = await terminatePid(record, graceMs, true);
      say(
        `recovered     ${gone ? "ended" : "could not end"} ${what} (pid ${record.pid}) left running by a start that did not stop`,
      );
    }
    removePid(file);
  }
  return ended;
}

export interface DownResult {
  stoppedExecutions: string[];
  errors: string[];
  stoppedNats: boolean;
  stoppedUp: boolean;
}

/** Stops a running `reef up`, every local execution (kept, not removed) and the local nats-server. */
export async function down(opts: { env?: NodeJS.ProcessEnv; print: Printer }): Promise<DownResult> {
  const env = opts.env ?? process.env;
  const { say } = opts.print;
  const paths = localPaths(env);
  env.REEF_STATE_DIR = paths.stateDir;
  const result: DownResult = { stoppedExecutions: [], errors: [], stoppedNats: false, stoppedUp: false };

  const upProcess = ownedPid(paths.upPidFile);
  if (upProcess && upProcess.pid !== process.pid) {
    say(`control plane stopping reef up (pid ${upProcess.pid})`);
    result.stoppedUp = await terminatePid(upProcess, 40_000);
  }
  const offline = ownedPid(paths.offlinePidFile);
  if (offline) await terminatePid(offline, 5_000, true);
  for (const file of [paths.offlinePidFile, paths.upPidFile, paths.tetherPidFile]) removePid(file);

  // Executions: through each executor that may have some (process records always; docker if it answers).
  const kinds = new Set<ExecutorKind>(["process"]);
  try {
    const chosen = await chooseExecutorKind(env);
    if (chosen !== "ecs") kinds.add(chosen);
  } catch (err) {
    result.errors.push(String((err as Error).message));
  }
  const stoppedPipelines = new Map<string, Execution[]>();
  for (const kind of kinds) {
    let executor: Executor | undefined;
    try {
      executor = await createExecutor({ ...env, REEF_EXECUTOR: kind });
      const running = (await executor.list()).filter((e) => e.state === "running" || e.state === "pending");
      const byPipeline = new Map<string, typeof running>();
      for (const e of running) byPipeline.set(e.pipeline, [...(byPipeline.get(e.pipeline) ?? []), e]);
      for (const [pipeline, executions] of byPipeline) {
        try {
          await applyPlan(executor, {
            pipeline,
            target: { state: "stopped" },
            actions: executions.map((execution) => ({ type: "stop" as const, execution })),
          });
          result.stoppedExecutions.push(...executions.map((e) => `${kind}:${e.id}`));
          stoppedPipelines.set(pipeline, await executor.list(pipeline));
        } catch (err) {
          result.errors.push(`${pipeline}: ${(err as Error).message}`);
        }
      }
    } catch (err) {
      result.errors.push(`${kind} executor: ${(err as Error).message}`);
    } finally {
      await executor?.close?.().catch(() => undefined);
    }
  }
  say(
    result.stoppedExecutions.length
      ? `executions    stopped ${result.stoppedExecutions.length}: ${result.stoppedExecutions.join(", ")}`
      : "executions    none running",
  );

  await markStopped(env, stoppedPipelines).catch((err) =>
    result.errors.push(`status not updated: ${(err as Error).message}`),
  );

  const nats = ownedPid(paths.natsPidFile);
  if (nats) {
    result.stoppedNats = await terminatePid(nats, 10_000);
    say(
      `nats-server   ${result.stoppedNats ? "stopped" : "did not stop"} (pid ${nats.pid}; data kept in ${paths.natsStore})`,
    );
  } else {
    say("nats-server   none started by reef");
  }
  removePid(paths.natsPidFile);
  for (const e of result.errors) say(`problem       ${e}`);
  return result;
}

/**
 * The statuses of the pipelines `down` stopped say so (phase stopped, with the executions as they
 * are now), so `reef status` does not claim they run. The next start's reconcile resumes them.
 */
async function markStopped(env: NodeJS.ProcessEnv, stopped: Map<string, Execution[]>): Promise<void> {
  if (stopped.size === 0) return;
  const lp = loopbackPort(settingsFrom(env).natsUrl);
  if (lp !== null && !(await portAnswers("127.0.0.1", lp))) return;
  const store = await Store.connect({ name: "reef-down", env, names: storeNamesFromEnv(env) });
  try {
    for (const [id, executions] of stopped) {
      const current = await store.getStatus(id);
      if (!current) continue;
      await store.writeStatus({
        ...current,
        phase: "stopped",
        executions: executions.map((e) => ({
          id: e.id,
          state: e.state,
          version: e.version,
          replica: e.replica,
        })),
        updatedAt: new Date().toISOString(),
      });
    }
  } finally {
    await store.close();
  }
}
