// Test helpers for the engine suites: temp dirs, bounded waits, running a config to its end.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig, startStream, type RunningStream } from "../../lib/engine";

export function tempDir(prefix = "reef-engine-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function uid(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** Polls `cond` until it is truthy or the bound passes (then throws with `what`). */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const logs: { level: string; msg: string; fields?: object }[] = [];
export const quietLogger = (level: string, msg: string, fields?: object) => {
  logs.push({ level, msg, fields });
};

export async function start(yaml: string, env: NodeJS.ProcessEnv = process.env): Promise<RunningStream> {
  return startStream(loadConfig(yaml, { env }), { logger: quietLogger, env });
}

/** Runs a config with a finite input to its end (bounded) and returns the stream. */
export async function runToEnd(yaml: string, timeoutMs = 15_000): Promise<RunningStream> {
  const s = await start(yaml);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    s.done,
    new Promise(
      (_, reject) => (timer = setTimeout(() => reject(new Error("stream did not end in time")), timeoutMs)),
    ),
  ]).finally(() => clearTimeout(timer));
  return s;
}

export function readLines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8").split("\n").filter(Boolean);
}

/** Billion laughs: each level aliases the previous one `width` times (width^levels strings in all). */
export function aliasBomb(levels = 9, width = 9): string {
  let yaml = `l0: &l0 [${Array(width).fill('"lol"').join(", ")}]\n`;
  for (let i = 1; i < levels; i++)
    yaml += `l${i}: &l${i} [${Array(width)
      .fill(`*l${i - 1}`)
      .join(", ")}]\n`;
  return `${yaml}input:\n  generate:\n    mapping: root = 1\noutput:\n  drop: {}\ntests: *l${levels - 1}\n`;
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Runs `reef <args>` from source; resolves with exit code and output. */
export function reef(
  args: string[],
  opts: {
    stdin?: string;
    onSpawn?: (pid: number) => void;
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
  } = {},
) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "lib", "cli", "main.ts"), ...args], {
      cwd: root,
      env: { ...process.env, ...opts.env, NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`reef ${args.join(" ")} did not finish within ${opts.timeoutMs ?? 60_000} ms`));
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    opts.onSpawn?.(child.pid!);
  });
}
