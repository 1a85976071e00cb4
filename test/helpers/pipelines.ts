// Helpers to write pipelines the way any NATS client would: a KV definition and an Object Store config.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createProcessExecutor, type ProcessExecutor } from "../../lib/executors/process";
import { applyPlan, type ConvergeDeps } from "../../lib/converge";
import { openTestStore, waitFor, type TestStore } from "./nats";

export const FAKE_ENGINE = resolve("test/fixtures/fake-engine.mjs");

export interface Definition {
  id: string;
  status: string;
  version?: string;
  replicas?: number;
  name?: string;
  [extra: string]: unknown;
}

export async function putDefinition(t: TestStore, def: Definition, key = def.id): Promise<number> {
  return t.store.putDefinition(key, JSON.stringify({ name: def.id, ...def }));
}

export async function putConfig(t: TestStore, id: string, version: string, yaml: string): Promise<void> {
  await t.store.putConfig(id, version, new TextEncoder().encode(yaml));
}

/** Publishes `id` as a job (mode "job", version 1 with `config`), with the definition's other `fields`. */
export async function publishJob(
  t: TestStore,
  id: string,
  config: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  await putConfig(t, id, "1", config);
  await putDefinition(t, { id, status: "published", version: "1", mode: "job", ...fields });
}

export function sampleConfig(tag: string): string {
  return `input:\n  generate:\n    mapping: 'root = "${tag}"'\n    interval: 1s\noutput:\n  drop: {}\n`;
}

/** A test store plus a process executor running the fake engine with its own state dir. */
export interface ProcessWorld extends TestStore {
  executor: ProcessExecutor;
  deps: ConvergeDeps;
  env: Record<string, string>;
  engineDir: string;
  stateDir: string;
  /**
   * The config the fake engine of a replica was started with, once it contains `expected`
   * (waits for it, bounded); null when no such engine started.
   */
  engineConfig(id: string, expected: string, replica?: number): Promise<string | null>;
  newExecutor(): ProcessExecutor;
  /** Removes every execution this world started, then closes the connection (for afterAll). */
  destroy(): Promise<void>;
}

export async function openProcessWorld(extraEnv: Record<string, string> = {}): Promise<ProcessWorld> {
  const t = await openTestStore();
  const engineDir = mkdtempSync(join(tmpdir(), "reef-engine-"));
  const stateDir = mkdtempSync(join(tmpdir(), "reef-state-"));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...t.env,
    REEF_ENGINE: FAKE_ENGINE,
    FAKE_ENGINE_DIR: engineDir,
    REEF_STATE_DIR: stateDir,
    REEF_RUNNER_PATH: resolve("dist/runner.mjs"),
    REEF_STOP_TIMEOUT: "5",
    ...extraEnv,
    // the fake engine's own settings (FAKE_ENGINE_DIR: where it writes the config it got) reach
    // it through the execution env allow-list, as a user's variables would
    REEF_EXECUTION_ENV: [
      "FAKE_ENGINE_DIR",
      ...Object.keys(extraEnv).filter((k) => k.startsWith("FAKE_ENGINE_")),
      ...(extraEnv.REEF_EXECUTION_ENV ? [extraEnv.REEF_EXECUTION_ENV] : []),
    ].join(","),
  };
  const newExecutor = () => createProcessExecutor(env);
  const executor = newExecutor();
  const destroy = async () => {
    for (const e of await executor.list())
      await applyPlan(executor, {
        pipeline: e.pipeline,
        target: { state: "absent" },
        actions: [{ type: "remove", execution: e }],
      });
    await t.close();
  };
  return {
    ...t,
    destroy,
    env,
    engineDir,
    stateDir,
    executor,
    newExecutor,
    deps: { store: t.store, executor },
    engineConfig(id, expected, replica = 0) {
      const read = () => {
        try {
          const config = readFileSync(join(engineDir, `${id}.${replica}.yaml`), "utf8");
          return config.includes(expected) ? config : null;
        } catch {
          return null;
        }
      };
      return waitFor(read, `the engine of ${id}#${replica} to start`, 10_000).catch(() => null);
    },
  };
}
