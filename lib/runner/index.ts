// The runner: the entrypoint of every execution (process, container or ECS task). It fetches the
// pipeline's config from the Object Store, checks it is the exact config reef labelled the
// execution with, expands ${VAR}s and runs the engine, forwarding stop signals. It reports over
// NATS the whole time (lib/telemetry): heartbeats in `pipeline-health`, log lines in PIPELINE_LOGS.
import { settingsFrom } from "../config";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { escapeEnv, expandEnv, reefOnlyComponents } from "../engine";
import { InvalidConfigError, ReefError, formatFatalLine, toStatusError, type StatusError } from "../model";
import { openContext, type ReefContext } from "../context";
import { configObjectName, type Store } from "../store";
import {
  configuredConsumerLag,
  ExecutionTelemetry,
  freeLoopbackPort,
  lineSplitter,
  prometheusSource,
  telemetrySettingsFromEnv,
} from "../telemetry";
import { chooseEngine, type EngineChoice } from "./engine";
import { RunnerStateFile } from "./state";
import { runOfEnv, runTimer, type RunOptions } from "./job";

export { chooseEngine, findOnPath, ENGINE_BINARIES } from "./engine";

/** Runs the execution described by the environment; resolves to the process exit code. */
export async function runFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const state = new RunnerStateFile(settingsFrom(env).runnerStateFile);
  let ctx: ReefContext | undefined;
  let telemetry: ExecutionTelemetry | undefined;
  try {
    // An unusable REEF_ENGINE fails before anything else (ENGINE_NOT_FOUND).
    chooseEngine(env);
    const { id, version } = identityOf(env);
    const settings = telemetrySettingsFromEnv(env);
    // Reconnects forever once connected: heartbeats and logs outlive a NATS restart.
    ctx = await openContext({ name: `reef-runner-${id}`, env, longRunning: true, failFirstConnect: true });
    const { store } = ctx;
    const config = await fetchConfig(store, env, id, version);
    // A config with reef-only components (postgres_notify) runs on the built-in engine under auto.
    const engine = chooseEngine(env, { reefOnly: reefOnlyComponents(config.text, { env }) });
    const replica = env.PIPELINE_REPLICA ? Number(env.PIPELINE_REPLICA) : undefined;
    telemetry = new ExecutionTelemetry({
      store,
      identity: {
        id,
        version,
        digest: config.digest,
        replica: Number.isInteger(replica) ? replica : undefined,
        engine: engine.kind === "binary" ? basename(engine.path) : "builtin",
      },
      settings,
    });
    await telemetry.start();
    telemetry.runnerLine(
      "info",
      `reef-runner: running ${configObjectName(id, version)} on ${engineName(engine)}`,
    );
    const t = telemetry;
    const started = () => {
      state.write({ state: "running", engine: engineName(engine), pid: process.pid });
      void t.setState("running");
    };
    const code = await runEngine(engine, config.text, env, started, t, store, runOfEnv(env));
    if (code === 0) {
      state.write({ state: "exited", exitCode: 0 });
      await t.close({ remove: true });
    } else {
      const error = { code: "ENGINE_FAILED", message: `engine exited with code ${code}` };
      state.write({ state: "failed", exitCode: code, error });
      await t.setState("failed", { message: error.message, component: "engine" });
      await t.close({ remove: false });
    }
    return code;
  } catch (err) {
    const error: StatusError = toStatusError(err, "ENGINE_FAILED");
    state.write({ state: "failed", exitCode: 1, error });
    // Executors that only see logs (docker) read this last line.
    if (telemetry) {
      telemetry.runnerLine("error", formatFatalLine(error));
      await telemetry
        .setState("failed", { message: error.message, component: "runner" })
        .catch(() => undefined);
      await telemetry.close({ remove: false }).catch(() => undefined);
    } else process.stderr.write(`${formatFatalLine(error)}\n`);
    return 1;
  } finally {
    await ctx?.close().catch(() => undefined);
  }
}

function identityOf(env: NodeJS.ProcessEnv): { id: string; version: string } {
  const id = env.PIPELINE_ID;
  const version = env.PIPELINE_VERSION;
  if (!id || !version) {
    throw new ReefError(
      "EXECUTOR_ERROR",
      "the runner needs PIPELINE_ID and PIPELINE_VERSION in its environment",
    );
  }
  return { id, version };
}

function engineName(engine: EngineChoice): string {
  return engine.kind === "binary" ? engine.path : "builtin";
}

async function fetchConfig(
  store: Store,
  env: NodeJS.ProcessEnv,
  id: string,
  version: string,
): Promise<{ text: string; digest: string }> {
  const config = await store.getConfig(id, version);
  if (!config) {
    throw new ReefError(
      "CONFIG_NOT_FOUND",
      `config object ${configObjectName(id, version)} not found in ${store.names.configs}`,
    );
  }
  if (env.PIPELINE_DIGEST && env.PIPELINE_DIGEST !== config.digest) {
    throw new ReefError(
      "DIGEST_MISMATCH",
      `config ${configObjectName(id, version)} has digest ${config.digest}, expected ${env.PIPELINE_DIGEST}: versions are immutable, write a new version`,
    );
  }
  return { text: new TextDecoder().decode(config.bytes), digest: config.digest };
}

/**
 * The config for a Benthos binary: expanded here, by the same rules as the built-in engine (an
 * unset variable without a default is INVALID_CONFIG, as Benthos would refuse it), then escaped so
 * that the binary's own expansion gives back exactly that text: expanded once, `${{VAR}}` and
 * `$${VAR}` stay literal, values are not expanded again. Returns the expanded and the escaped text.
 */
function binaryConfig(config: string, env: NodeJS.ProcessEnv): { text: string; escaped: string } {
  const { text, missing } = expandEnv(config, env);
  if (missing.length) {
    throw new InvalidConfigError(
      `required environment variables were not set: ${missing.map((m) => `${m.name} (line ${m.line}, column ${m.column})`).join(", ")}`,
      { variables: missing.map((m) => m.name) },
    );
  }
  const escaped = escapeEnv(text);
  if (escaped === undefined) {
    throw new InvalidConfigError(
      "the expanded config has `${{…}}` text, or `${…}` inside a default, that a Benthos binary would expand again: run it on the built-in engine (REEF_ENGINE=builtin)",
    );
  }
  return { text, escaped };
}

/** Runs the engine to its end; `started` is called once it is up (for the state file). */
async function runEngine(
  engine: EngineChoice,
  config: string,
  env: NodeJS.ProcessEnv,
  started: () => void,
  telemetry: ExecutionTelemetry,
  store: Store,
  run: RunOptions | undefined,
): Promise<number> {
  if (engine.kind === "builtin") {
    // The built-in engine expands ${VAR}s itself while loading, by the same rules (lib/engine/config/env.ts).
    const { runBuiltin } = await import("./builtin");
    return runBuiltin(config, env, started, telemetry, run);
  }
  const dir = mkdtempSync(join(tmpdir(), "reef-runner-"));
  const file = join(dir, "config.yaml");
  const { text, escaped } = binaryConfig(config, env);
  writeFileSync(file, escaped, { mode: 0o600 });
  try {
    // Its HTTP server on a free loopback port: the runner reads its Prometheus /metrics there.
    const port = await freeLoopbackPort();
    const child = spawn(engine.path, ["-c", file, "--set", `http.address=127.0.0.1:${port}`], {
      stdio: ["pipe", "pipe", "pipe"],
      env,
    });
    // A job run's payload is the engine's stdin; a stream's stdin is empty.
    child.stdin.on("error", () => undefined); // an engine that does not read it closes the pipe
    child.stdin.end(run?.stdin);
    // Every line stays on the execution's own output (docker/process readers) and goes over NATS.
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      const lines = lineSplitter((line) => telemetry.engineLine(line));
      from.on("data", (chunk: Buffer) => {
        to.write(chunk);
        lines.push(chunk);
      });
      from.on("end", () => lines.end());
    }
    telemetry.attach(
      prometheusSource({
        url: `http://127.0.0.1:${port}/metrics`,
        pid: () => child.pid,
        lastError: () => telemetry.lastEngineError(),
        lag: configuredConsumerLag(store, text),
      }),
    );
    const forward = (signal: NodeJS.Signals) => {
      void telemetry.setState("draining");
      child.kill(signal);
    };
    process.on("SIGTERM", forward);
    process.on("SIGINT", forward);
    const timer = runTimer(run, () => forward("SIGTERM"));
    const code = await new Promise<number>((resolve, reject) => {
      child.once("error", (err) =>
        reject(new ReefError("ENGINE_NOT_FOUND", `cannot start engine ${engine.path}: ${err.message}`)),
      );
      child.once("spawn", started);
      child.once("close", (code, signal) =>
        resolve(code ?? (signal === "SIGTERM" || signal === "SIGINT" ? 0 : 1)),
      );
    }).finally(() => {
      timer.clear();
      process.off("SIGTERM", forward);
      process.off("SIGINT", forward);
    });
    timer.check();
    return code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
