// The tether: children of `reef up` that run in their own process group (nats-server,
// serverless-offline) must not outlive it, however it dies (SIGKILL, OOM, a closed terminal). reef up
// starts one small process, detached, with a pipe on its stdin, and tells it each group it starts
// (`own <pid> <startTime>`) and each it stopped itself (`release <pid>`). When the pipe closes —
// reef up exited, cleanly or not — the tether ends every group it still owns and exits.
// The tether process itself is lib/local/tether-main.ts (bundled as dist/tether.mjs).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { processStartTime } from "../processes";
import { LocalStackError } from "./errors";

export interface Tether {
  pid: number;
  /** The process group `pid` leads ends when this process ends. */
  own(pid: number): void;
  /** Stopped by us: nothing left to end. */
  release(pid: number): void;
  /** Closes the pipe (the tether ends what it still owns, then exits). */
  close(): void;
}

export function startTether(opts: { projectDir: string; graceMs: number }): Tether {
  const script = join(opts.projectDir, "dist", "tether.mjs");
  if (!existsSync(script)) {
    throw new LocalStackError(`${script} is missing: build first ('npm run build'; npm start does)`);
  }
  const child = spawn(process.execPath, [script, String(opts.graceMs)], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true, // its own session: the signal that kills reef up's group does not reach it
  });
  child.unref();
  const pipe = child.stdin!;
  pipe.on("error", () => undefined); // the tether is gone: nothing to tell it any more
  // the pipe must not keep this process alive (it ends when reef up ends)
  (pipe as unknown as { unref?: () => void }).unref?.();
  const send = (line: string) => {
    if (!pipe.destroyed && pipe.writable) pipe.write(line + "\n");
  };
  return {
    pid: child.pid!,
    own: (pid) => send(`own ${pid} ${processStartTime(pid) ?? "-"}`),
    release: (pid) => send(`release ${pid}`),
    close: () => pipe.end(),
  };
}
