// Process identity and signalling, shared by the process executor and the local stack. A pid alone
// is not an identity (pids are reused), so a process we started is "alive" only while its pid runs
// with the start time we recorded: reef never signals a stranger.
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";

/**
 * The fields of /proc/<pid>/stat after the command name (so field 3, the state, is [0]); null if
 * gone. The command name (field 2) is in parentheses and may contain spaces: split after it.
 */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** Start time in clock ticks since boot (field 22) from a pid's stat fields; null if not running. */
function startTimeOf(fields: string[] | null): string | null {
  if (!fields || fields[0] === "Z" || fields[0] === "X") return null; // zombie or dead: not running
  return fields[19] ?? null;
}

/** Start time of a pid in clock ticks since boot (field 22 of /proc/<pid>/stat); null if gone. */
export function processStartTime(pid: number): string | null {
  return startTimeOf(statFields(pid));
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

/**
 * The live processes whose environment holds `entry` (`NAME=value`), as pid + start time; empty
 * where there is no /proc. Finds a child whose pid was never written down (its parent died between
 * the spawn and the record) by what only it carries: an environment entry unique to it.
 */
export async function processesWithEnv(
  entry: string,
  opts: { groupLeaders?: boolean } = {},
): Promise<{ pid: number; startTime: string }[]> {
  if (!hasProc) return [];
  const pids = (await readdir("/proc").catch(() => [])).filter((d) => /^\d+$/.test(d)).map(Number);
  const found: { pid: number; startTime: string }[] = [];
  await Promise.all(
    pids.map(async (pid) => {
      const environ = await readFile(`/proc/${pid}/environ`, "utf8").catch(() => "");
      if (!environ.split("\0").includes(entry)) return;
      const fields = statFields(pid);
      // The process group is field 5: a child that inherited the entry is no group leader.
      if (opts.groupLeaders && Number(fields?.[2]) !== pid) return;
      const startTime = startTimeOf(fields);
      if (startTime) found.push({ pid, startTime });
    }),
  );
  return found.sort((a, b) => a.pid - b.pid);
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
