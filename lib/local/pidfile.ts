// Pid files of what the local stack starts (reef up itself, serverless-offline, nats-server, the
// tether). A record is the pid with its start time: pids are reused, so a pid file names a process
// only while both match, and reef never signals a stranger.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { isAlive, processStartTime, terminate } from "../processes";

export interface PidRecord {
  pid: number;
  /** Clock ticks since boot (/proc/<pid>/stat); null where the OS does not tell. */
  startTime: string | null;
  /** The NATS URL, in the nats-server's record (the CLI finds the local server by it). */
  url?: string;
}

export function writePid(file: string, pid: number, extra: { url?: string } = {}): void {
  const record: PidRecord = { pid, startTime: processStartTime(pid), ...extra };
  writeFileSync(file, JSON.stringify(record) + "\n");
}

/** The record in `file` while its process still runs (same pid, same start time); else null. */
export function ownedPid(file: string): PidRecord | null {
  let record: Partial<PidRecord>;
  try {
    record = JSON.parse(readFileSync(file, "utf8")) as Partial<PidRecord>;
  } catch {
    return null; // missing, or not a record of ours (an old plain pid file says nothing about start time)
  }
  if (typeof record !== "object" || record === null) return null;
  const { pid, startTime } = record;
  if (!Number.isInteger(pid) || pid! <= 1) return null;
  const start = typeof startTime === "string" ? startTime : null;
  return isAlive(pid!, start) ? { ...record, pid: pid!, startTime: start } : null;
}

export function removePid(file: string): void {
  rmSync(file, { force: true });
}

/**
 * Ends the process of a record: SIGTERM, SIGKILL after `graceMs`. `group`: the whole process group
 * it leads (serverless-offline and its workers). Resolves with whether it is gone (bounded).
 */
export function terminatePid(record: PidRecord, graceMs: number, group = false): Promise<boolean> {
  return terminate(record.pid, record.startTime, graceMs, { group });
}
