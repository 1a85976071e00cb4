// The fault suite's common parts: pipelines on real parts (a nats-server, the process or docker
// executor, the bridge as a real child process that can be SIGKILLed), a log of every change a
// scenario makes with what it wants in the end, and the figures each scenario prints and asserts.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { expect } from "vitest";
import type { Executor } from "../../lib/executors";
import type { Execution } from "../../lib/model";
import type { Store } from "../../lib/store";
import { uniqueNames, waitFor } from "../helpers/nats";

export const ROOT = resolve(import.meta.dirname, "../..");
export const FAKE_ENGINE = join(ROOT, "test/fixtures/fake-engine.mjs");

/** A config every engine runs (the fake engine never reads it; the built-in one generates and drops). */
export function quietConfig(tag: string): Uint8Array {
  return new TextEncoder().encode(
    `input:\n  generate:\n    mapping: 'root = "${tag}"'\n    interval: 5s\noutput:\n  drop: {}\n`,
  );
}

/** What a scenario wants of a pipeline in the end. */
export type Want =
  | { kind: "published"; version: string; replicas: number }
  | { kind: "paused" }
  | { kind: "draft" }
  | { kind: "deleted" }
  | { kind: "invalid"; code: string };

/** Every change a scenario makes (KV writes, with their revisions), and the last word per pipeline. */
export class Changes {
  readonly made: { key: string; revision: number }[] = [];
  readonly want = new Map<string, Want>();

  constructor(private readonly store: () => Store) {}

  /** Writes a definition; retried (bounded) while NATS is away, as a user would. */
  async put(id: string, def: { status: string; version?: string; replicas?: number }): Promise<number> {
    const want: Want =
      def.status === "published"
        ? { kind: "published", version: def.version ?? "1", replicas: def.replicas ?? 1 }
        : { kind: def.status as "paused" | "draft" };
    return this.raw(id, JSON.stringify({ id, name: id, ...def }), want);
  }

  async delete(id: string): Promise<number> {
    const revision = await retry(() =>
      this.store()
        .deleteDefinition(id)
        .then(() => this.revisionOf(id)),
    );
    this.note(id, revision, { kind: "deleted" });
    return revision;
  }

  /** Any value under any key, with what the scenario expects of it. */
  async raw(key: string, value: string, want: Want): Promise<number> {
    const revision = await retry(() => this.store().putDefinition(key, value));
    this.note(key, revision, want);
    return revision;
  }

  private async revisionOf(id: string): Promise<number> {
    const entry = await this.store().getDefinitionEntry(id);
    return entry!.revision;
  }

  private note(key: string, revision: number, want: Want): void {
    this.made.push({ key, revision });
    this.want.set(key, want);
  }
}

async function retry<T>(fn: () => Promise<T>): Promise<T> {
  return waitFor(() => fn().then((v) => ({ v })), "a KV write", 30_000).then((r) => r.v);
}

/** One row of the fault table. */
export interface Figures {
  scenario: string;
  made: number;
  converged: number;
  lost: number;
  orphaned: number;
  doubled: number;
  disturbed: number;
  /** What else the scenario observed (one line each). */
  notes: string[];
}

/** Identity of a healthy pipeline's executions: if it changes, the pipeline was disturbed. */
export type Identify = (e: Execution) => string;

/** The process executor's record of an execution: a restart changes its pid and start time. */
export function processIdentity(stateDir: string): Identify {
  return (e) => {
    try {
      const r = JSON.parse(readFileSync(join(stateDir, `${e.id}.json`), "utf8")) as {
        pid: number;
        startTime: string;
      };
      return `${e.id}@${r.pid}/${r.startTime}`;
    } catch {
      return `${e.id}@?`;
    }
  };
}

export interface Healthy {
  ids: string[];
  before: Map<string, string>;
}

/** Snapshot of pipelines that must come through a scenario untouched (running, same executions). */
export async function snapshotHealthy(
  executor: Executor,
  ids: string[],
  identify: Identify,
): Promise<Healthy> {
  const before = new Map<string, string>();
  for (const id of ids) before.set(id, await healthyIdentity(executor, id, identify));
  return { ids, before };
}

async function healthyIdentity(executor: Executor, id: string, identify: Identify): Promise<string> {
  const running = (await executor.list(id)).filter((e) => e.state === "running");
  return running.map(identify).sort().join(",");
}

interface Judgement {
  converged: boolean;
  orphaned: number;
  doubled: number;
  why: string;
}

/** Whether a pipeline is as wanted, and what is wrong with its executions if not. */
async function judgeOne(store: Store, id: string, want: Want, mine: Execution[], lastRevision: number) {
  const status = await store.getStatus(id);
  const out: Judgement = { converged: false, orphaned: 0, doubled: 0, why: "" };
  const bySlot = new Map<number, number>();
  for (const e of mine) bySlot.set(e.replica, (bySlot.get(e.replica) ?? 0) + 1);
  for (const n of bySlot.values()) out.doubled += Math.max(0, n - 1);
  const upToDate = status !== null && status.revision >= lastRevision;
  switch (want.kind) {
    case "published": {
      const wrong = mine.filter((e) => e.version !== want.version || e.replica >= want.replicas);
      out.orphaned = wrong.length;
      const running = mine.filter((e) => e.state === "running" && !wrong.includes(e));
      out.converged = upToDate && status.phase === "running" && running.length === want.replicas;
      break;
    }
    case "paused":
      out.converged = upToDate && status.phase === "stopped" && mine.every((e) => e.state === "stopped");
      break;
    case "draft":
      out.orphaned = mine.length;
      out.converged = upToDate && status.phase === "absent" && mine.length === 0;
      break;
    case "deleted":
      out.orphaned = mine.length;
      out.converged = status === null && mine.length === 0;
      break;
    case "invalid":
      out.orphaned = mine.length; // a fresh invalid pipeline starts nothing
      out.converged =
        upToDate && status.phase === "failed" && status.error?.code === want.code && mine.length === 0;
      break;
  }
  if (!out.converged) {
    out.why = `${id}: want ${JSON.stringify(want)}, status ${status ? `${status.phase}@${status.revision}${status.error ? ` ${status.error.code}: ${status.error.message}` : ""}` : "none"} (last change @${lastRevision}), executions ${mine.map((e) => `#${e.replica} v${e.version} ${e.state}`).join(", ") || "none"}`;
  }
  return out;
}

export interface JudgeInput {
  scenario: string;
  store: Store;
  executor: Executor;
  changes: Changes;
  healthy?: Healthy;
  identify?: Identify;
  notes?: string[];
  /** Pipelines of other rows of the same scenario: their executions are not strays of this one. */
  others?: string[];
}

/** The figures of a scenario as things are now. */
export async function judge(input: JudgeInput): Promise<Figures & { problems: string[] }> {
  const { store, executor, changes, healthy } = input;
  const all = await executor.list();
  const problems: string[] = [];
  const last = new Map<string, number>();
  for (const c of changes.made) last.set(c.key, Math.max(last.get(c.key) ?? 0, c.revision));
  let converged = 0;
  let orphaned = 0;
  let doubled = 0;
  for (const [id, want] of changes.want) {
    const j = await judgeOne(
      store,
      id,
      want,
      all.filter((e) => e.pipeline === id),
      last.get(id)!,
    );
    if (j.converged) converged += changes.made.filter((c) => c.key === id).length;
    else problems.push(j.why);
    orphaned += j.orphaned;
    doubled += j.doubled;
  }
  // executions of pipelines the scenario never wrote (nor kept healthy) are orphans too
  const known = new Set([...changes.want.keys(), ...(healthy?.ids ?? []), ...(input.others ?? [])]);
  const strays = all.filter((e) => !known.has(e.pipeline));
  orphaned += strays.length;
  for (const e of strays) problems.push(`stray execution ${e.id} of ${e.pipeline}`);
  let disturbed = 0;
  for (const id of healthy?.ids ?? []) {
    const now = await healthyIdentity(executor, id, input.identify!);
    const status = await store.getStatus(id);
    if (now !== healthy!.before.get(id) || status?.phase !== "running" || status.error) {
      disturbed++;
      problems.push(`healthy ${id}: ${healthy!.before.get(id)} → ${now}, status ${status?.phase}`);
    }
  }
  const made = changes.made.length;
  return {
    scenario: input.scenario,
    made,
    converged,
    lost: made - converged,
    orphaned,
    doubled,
    disturbed,
    notes: input.notes ?? [],
    problems,
  };
}

/** Waits (bounded) until the scenario has converged, then judges, prints its table and asserts the zeros. */
export async function settleAndReport(input: JudgeInput, timeoutMs = 60_000): Promise<Figures> {
  let figures = await judge(input);
  const deadline = Date.now() + timeoutMs;
  while (figures.problems.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    figures = await judge(input);
  }
  printFigures(figures);
  expect(figures.problems, "what did not converge").toEqual([]);
  expect({
    lost: figures.lost,
    orphaned: figures.orphaned,
    doubled: figures.doubled,
    disturbed: figures.disturbed,
  }).toEqual({
    lost: 0,
    orphaned: 0,
    doubled: 0,
    disturbed: 0,
  });
  return figures;
}

export const TABLE_HEAD =
  "| scenario | changes made | changes converged | lost | orphaned executions | doubled executions | healthy pipelines disturbed |\n|---|---:|---:|---:|---:|---:|---:|";

export function tableRow(f: Figures): string {
  return `| ${f.scenario} | ${f.made} | ${f.converged} | ${f.lost} | ${f.orphaned} | ${f.doubled} | ${f.disturbed} |`;
}

export function printFigures(f: Figures & { problems?: string[] }): void {
  const lines = [`fault scenario: ${f.scenario}`, TABLE_HEAD, tableRow(f)];
  for (const n of f.notes) lines.push(`  ${n}`);
  for (const p of f.problems ?? []) lines.push(`  NOT CONVERGED ${p}`);
  console.log(lines.join("\n"));
}

// ---- the bridge as a real child process -----------------------------------------------------

export interface BridgeProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  handled(): number;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `reef bridge` (in-process converge: the functions' code in the bridge process), SIGKILL-able. */
export function startBridgeProcess(env: Record<string, string>): BridgeProcess {
  const child = spawn(process.execPath, [join(ROOT, "dist/reef.mjs"), "bridge"], {
    env: { REEF_BRIDGE_INVOKER: "in-process", REEF_LOG_LEVEL: "INFO", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  for (const s of [child.stdout!, child.stderr!])
    createInterface({ input: s }).on("line", (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return {
    child,
    lines,
    exited,
    handled: () => lines.filter((l) => l.includes('"change handled"')).length,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

// ---- a world: unique buckets, a state dir, the env of the bridge and the executor -----------------

export interface World {
  env: Record<string, string>;
  stateDir: string;
  cleanup(): void;
}

/** Env for a scenario: unique buckets on `natsUrl`, the process executor with the fake engine. */
export function worldEnv(natsUrl: string, extra: Record<string, string> = {}): World {
  const { env: names } = uniqueNames();
  const stateDir = mkdtempSync(join(tmpdir(), "reef-fault-state-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    ...names,
    NATS_URL: natsUrl,
    REEF_EXECUTOR: "process",
    REEF_ENGINE: FAKE_ENGINE,
    REEF_STATE_DIR: stateDir,
    REEF_RUNNER_PATH: join(ROOT, "dist/runner.mjs"),
    REEF_STOP_TIMEOUT: "5",
    REEF_RESYNC_INTERVAL: "3s",
    REEF_BRIDGE_RETRY_BASE: "50ms",
    REEF_BRIDGE_RETRY_MAX: "1s",
    REEF_BRIDGE_MAX_ATTEMPTS: "20",
    REEF_BRIDGE_ACK_WAIT: "5s",
    POWERTOOLS_LOG_LEVEL: "WARN",
    ...extra,
  };
  return { env, stateDir, cleanup: () => rmSync(stateDir, { recursive: true, force: true }) };
}
