// The runner: the entrypoint of every execution (process, container or ECS task). It fetches the
// pipeline's config from the Object Store, checks it is the exact config reef labelled the
// execution with, expands ${VAR}s and runs the engine, forwarding stop signals.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Objm } from "@nats-io/obj";
import { expandEnv } from "../engine";
import { ReefError, formatFatalLine, toStatusError, type StatusError } from "../model";
import { configDigest, configObjectName, connectNats, storeNamesFromEnv } from "../store";
import { chooseEngine, type EngineChoice } from "./engine";
import { RunnerStateFile } from "./state";

export { chooseEngine, findOnPath, ENGINE_BINARIES } from "./engine";

/** Runs the execution described by the environment; resolves to the process exit code. */
export async function runFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const state = new RunnerStateFile(env.REEF_RUNNER_STATE_FILE);
  try {
    const engine = chooseEngine(env);
    const config = await fetchConfig(env);
    const started = () =>
      state.write({
        state: "running",
        engine: engine.kind === "binary" ? engine.path : "builtin",
        pid: process.pid,
      });
    const code = await runEngine(engine, config, env, started);
    if (code === 0) state.write({ state: "exited", exitCode: 0 });
    else
      state.write({
        state: "failed",
        exitCode: code,
        error: { code: "ENGINE_FAILED", message: `engine exited with code ${code}` },
      });
    return code;
  } catch (err) {
    const error: StatusError = toStatusError(err, "ENGINE_FAILED");
    state.write({ state: "failed", exitCode: 1, error });
    // Executors that only see logs (docker) read this last line.
    process.stderr.write(`${formatFatalLine(error)}\n`);
    return 1;
  }
}

async function fetchConfig(env: NodeJS.ProcessEnv): Promise<string> {
  const id = env.PIPELINE_ID;
  const version = env.PIPELINE_VERSION;
  if (!id || !version) {
    throw new ReefError(
      "EXECUTOR_ERROR",
      "the runner needs PIPELINE_ID and PIPELINE_VERSION in its environment",
    );
  }
  const nc = await connectNats({ name: `reef-runner-${id}`, env });
  try {
    const bucket = storeNamesFromEnv(env).configs;
    const store = await new Objm(nc).open(bucket);
    const bytes = await store.getBlob(configObjectName(id, version));
    if (!bytes) {
      throw new ReefError(
        "CONFIG_NOT_FOUND",
        `config object ${configObjectName(id, version)} not found in ${bucket}`,
      );
    }
    const digest = configDigest(bytes);
    if (env.PIPELINE_DIGEST && env.PIPELINE_DIGEST !== digest) {
      throw new ReefError(
        "DIGEST_MISMATCH",
        `config ${configObjectName(id, version)} has digest ${digest}, expected ${env.PIPELINE_DIGEST}: versions are immutable, write a new version`,
      );
    }
    return new TextDecoder().decode(bytes);
  } finally {
    await nc.close();
  }
}

/** Runs the engine to its end; `started` is called once it is up (for the state file). */
async function runEngine(
  engine: EngineChoice,
  config: string,
  env: NodeJS.ProcessEnv,
  started: () => void,
): Promise<number> {
  if (engine.kind === "builtin") {
    // The built-in engine expands ${VAR}s itself while loading (once: `$${VAR}` escapes survive).
    const { runBuiltin } = await import("./builtin");
    return runBuiltin(config, env, started);
  }
  const { text } = expandEnv(config, env);
  const dir = mkdtempSync(join(tmpdir(), "reef-runner-"));
  const file = join(dir, "config.yaml");
  writeFileSync(file, text, { mode: 0o600 });
  try {
    const child = spawn(engine.path, ["-c", file], { stdio: "inherit", env });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGTERM", forward);
    process.on("SIGINT", forward);
    return await new Promise<number>((resolve, reject) => {
      child.once("error", (err) =>
        reject(new ReefError("ENGINE_NOT_FOUND", `cannot start engine ${engine.path}: ${err.message}`)),
      );
      child.once("spawn", started);
      child.once("exit", (code, signal) =>
        resolve(code ?? (signal === "SIGTERM" || signal === "SIGINT" ? 0 : 1)),
      );
    }).finally(() => {
      process.off("SIGTERM", forward);
      process.off("SIGINT", forward);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
