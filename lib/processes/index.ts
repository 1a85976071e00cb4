// Process identity and signalling, shared by the process executor and the local stack. A pid alone
// is not an identity (pids are reused), so a process we started is "alive" only while its pid runs
// with the start time we recorded: reef never signals a stranger.
import { readFileSync } from "node:fs";

/** Start time of a pid in clock ticks since boot (field 22 of /proc/<pid>/stat); null if gone. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return null; // zombie or dead: not running
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

const hasProc = (() => {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
})();

/** True while `pid` is the process we started (same start time where the OS lets us check). */
export function isAlive(pid: number | null, startTime: string | null): boolean {
  if (!pid) return false;
  if (hasProc) return startTime !== null && processStartTime(pid) === startTime;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals a process group (`group`, the default: the pid leads it) or one process; ignores one already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals, group = true): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/**
 * SIGTERM, then SIGKILL after `graceMs`, to the process group the pid leads (or to the pid alone
 * with `group: false`); resolves once the process is really gone (bounded).
 */
export async function terminate(
  pid: number,
  startTime: string | null,
  graceMs: number,
  opts: { group?: boolean } = {},
): Promise<boolean> {
  if (!isAlive(pid, startTime)) return true;
  signalProcess(pid, "SIGTERM", opts.group);
  if (await waitDead(pid, startTime, graceMs)) return true;
  signalProcess(pid, "SIGKILL", opts.group);
  return waitDead(pid, startTime, 5_000);
}

async function waitDead(pid: number, startTime: string | null, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid, startTime)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isAlive(pid, startTime);
}
