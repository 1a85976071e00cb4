// Pid files of the processes the local stack leaves running (nats-server) or may leave behind.
import { readFileSync, rmSync, writeFileSync } from "node:fs";

export function writePid(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n`);
}

/**
 * The pid in `file` if that process is alive and its command line contains `expect` (a pid file
 * outlives its process, and pids are reused: never signal a stranger).
 */
export function livePid(file: string, expect: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(file, "utf8").trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1) return null;
  try {
    process.kill(pid, 0);
  } catch {
    return null;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    if (!cmdline.includes(expect)) return null;
  } catch {
    // no /proc (macOS): trust the pid file
  }
  return pid;
}

export function removePid(file: string): void {
  rmSync(file, { force: true });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone (bounded). */
export async function terminatePid(pid: number, graceMs = 5_000, group = false): Promise<boolean> {
  const target = group ? -pid : pid;
  const send = (s: NodeJS.Signals) => {
    try {
      process.kill(target, s);
    } catch {
      // gone
    }
  };
  send("SIGTERM");
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!alive()) return true;
  send("SIGKILL");
  const killDeadline = Date.now() + 2_000;
  while (alive() && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
  return !alive();
}
