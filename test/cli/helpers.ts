// Runs the built `reef` CLI (dist/reef.mjs, made by `npm run build`) as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REEF = resolve("dist/reef.mjs");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function assertBuilt(): void {
  if (!existsSync(REEF)) throw new Error(`${REEF} is missing: run npm run build first`);
}

export function tempDir(prefix = "reef-cli-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs `reef <args>` to completion (bounded), stdin closed (not a TTY). */
export function reef(
  args: string[],
  opts: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [REEF, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: "1", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `reef ${args.join(" ")} did not finish within ${opts.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** `reef <args> --json` that must succeed; returns the parsed output. */
export async function reefJson<T = unknown>(args: string[], env: Record<string, string>): Promise<T> {
  const r = await reef([...args, "--json"], { env });
  if (r.code !== 0) throw new Error(`reef ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A long-running `reef` (status --watch, logs -f) whose output lines are collected as they come. */
export interface Running {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  stderr(): string;
}

export function reefSpawn(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [REEF, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let partial = "";
  let err = "";
  child.stdout!.on("data", (d) => {
    const parts = (partial + d).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  });
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  return { child, lines, exited, stderr: () => err };
}
