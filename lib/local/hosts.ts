// The reef hosts of the local stack (REEF_EXECUTOR=host): `npm start` runs REEF_HOSTS of them
// (`node dist/runner.mjs host`, ids local-0, local-1, …: a restarted host finds its placements again
// within its TTL) and restarts one that dies, with a growing pause (1 s, doubling, at most 30 s).
import { settingsFrom } from "../config";
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { hostProcessEnv } from "../executors";
import { terminate, processStartTime } from "../processes";

export interface HostSupervisorOptions {
  count: number;
  /** dist/runner.mjs */
  runnerPath: string;
  env: NodeJS.ProcessEnv;
  /** Each host's output goes to host-<n>.log here. */
  logDir: string;
  /** Told each host's pid (the tether ends them if this process dies). */
  own(pid: number): void;
  release(pid: number): void;
  say(line: string): void;
  stopTimeoutMs: number;
}

export interface HostSupervisor {
  stop(): Promise<void>;
}

/** REEF_HOSTS: how many hosts the local stack runs (default 1, at most 64). */
export function localHostCount(env: NodeJS.ProcessEnv): number {
  return settingsFrom(env).hosts;
}

export function superviseHosts(opts: HostSupervisorOptions): HostSupervisor {
  let stopping = false;
  const children = new Map<number, { pid: number; startTime: string | null; exited: Promise<void> }>();
  const run = (n: number, pauseMs: number) => {
    if (stopping) return;
    const log = openSync(join(opts.logDir, `host-${n}.log`), "a");
    const child = spawn(process.execPath, [opts.runnerPath, "host"], {
      env: { ...hostProcessEnv(opts.env), REEF_HOST_ID: `local-${n}` },
      stdio: ["ignore", log, log],
      detached: true,
    });
    closeSync(log);
    const startedAt = Date.now();
    const exited = new Promise<void>((resolve) =>
      child.once("exit", (code, signal) => {
        children.delete(n);
        if (child.pid) opts.release(child.pid);
        resolve();
        if (stopping) return;
        // A host that ran a while restarts at once; one that dies at start backs off.
        const next = Date.now() - startedAt > 60_000 ? 1_000 : Math.min(30_000, pauseMs * 2);
        opts.say(
          `host          local-${n} exited (${signal ?? code}); restarting in ${Math.round(next / 1000)} s`,
        );
        setTimeout(() => run(n, next), next).unref();
      }),
    );
    child.once("error", (err) => opts.say(`host          local-${n} cannot start: ${err.message}`));
    if (child.pid) {
      opts.own(child.pid);
      children.set(n, { pid: child.pid, startTime: processStartTime(child.pid), exited });
    }
  };
  for (let n = 0; n < opts.count; n++) run(n, 1_000);
  return {
    async stop() {
      stopping = true;
      await Promise.all(
        [...children.values()].map(async (c) => {
          await terminate(c.pid, c.startTime, opts.stopTimeoutMs + 5_000);
          await c.exited;
        }),
      );
    },
  };
}
