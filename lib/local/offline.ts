// Runs the functions under serverless-offline (osls) as a child process group and waits, bounded,
// until its Lambda API answers.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { portAnswers } from "./nats-server";
import { LocalStackError } from "./errors";

export interface OfflineOptions {
  /** Folder of serverless.yml. */
  projectDir: string;
  lambdaPort: number;
  httpPort: number;
  /** Environment of serverless-offline; serverless.yml picks the handlers' variables from it. */
  env: NodeJS.ProcessEnv;
  /** All output is appended here. */
  logFile?: string;
  /** Each output line (e.g. to echo handler logs). */
  onLine?: (line: string) => void;
  /** Bound on the wait for the lambda port (bundling takes seconds). */
  startTimeoutMs?: number;
  /** Called with the pid of the process group at once, before the (long) wait for the port. */
  onSpawn?(pid: number): void;
}

export interface Offline {
  pid: number;
  lambdaEndpoint: string;
  /** Lambda names serverless-offline reported (`reef-dev-converge`, …). */
  functions: string[];
  stop(): Promise<void>;
  /** Resolves with the exit code when serverless-offline exits. */
  exited: Promise<number | null>;
}

/**
 * The ports serverless-offline opens, with the setting that moves each (serverless.yml; there are
 * no websocket or ALB events, so it opens no other port).
 */
export function offlinePorts(opts: { lambdaPort: number; httpPort: number }) {
  return [
    { port: opts.lambdaPort, what: "lambda", setting: "REEF_LAMBDA_PORT" },
    { port: opts.httpPort, what: "http", setting: "REEF_HTTP_PORT" },
  ];
}

/**
 * Fails with a clear message when a port is taken (by a program that is not reef's). `waitMs`:
 * how long a port may take to be freed (a process just ended lets go of its sockets only once
 * its last thread is gone).
 */
export async function assertPortsFree(
  ports: { port: number; what: string; setting: string }[],
  waitMs = 0,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (const { port, what, setting } of ports) {
    while ((await portAnswers("127.0.0.1", port)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (await portAnswers("127.0.0.1", port)) {
      throw new LocalStackError(
        `port ${port} (${what}) is already in use: set ${setting}, or stop what runs there ('npm run down')`,
      );
    }
  }
}

export async function startOffline(opts: OfflineOptions): Promise<Offline> {
  await assertPortsFree(offlinePorts(opts));
  const cli = serverlessCli(opts.projectDir);
  const child: ChildProcess = spawn(process.execPath, [cli, "offline", "start"], {
    cwd: opts.projectDir,
    env: {
      ...opts.env,
      REEF_LAMBDA_PORT: String(opts.lambdaPort),
      REEF_HTTP_PORT: String(opts.httpPort),
      // dockerode is resolved from ./node_modules instead of npm-installed into the build folder
      REEF_ESBUILD_EXCLUDE: "dockerode",
      // the bridge triggers reconcile locally (REEF_RESYNC_INTERVAL)
      REEF_RECONCILE_SCHEDULE: "false",
      SLS_TELEMETRY_DISABLED: "1",
      SLS_NOTIFICATIONS_MODE: "off",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: stopped as a whole
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  if (child.pid) opts.onSpawn?.(child.pid);
  const log = opts.logFile ? createWriteStream(opts.logFile, { flags: "a" }) : undefined;
  const tail: string[] = [];
  const functions: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      log?.write(line + "\n");
      tail.push(line);
      // "   * converge: reef-dev-converge"
      const fn = /^\s*\* [\w-]+: (\S+)\s*$/.exec(line);
      if (fn) functions.push(fn[1]!);
      if (tail.length > 30) tail.shift();
      opts.onLine?.(line);
    });
  }

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child.pid!, "SIGINT");
    const timer = setTimeout(() => killGroup(child.pid!, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    log?.end();
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 90_000);
  for (;;) {
    const state = await Promise.race([
      portAnswers("127.0.0.1", opts.lambdaPort).then((ok) => (ok ? "up" : "down")),
      exited.then(() => "exited"),
      spawnError,
    ]);
    if (state === "up") break;
    if (state instanceof Error || state === "exited") {
      await stop();
      const why = state instanceof Error ? state.message : "it exited";
      throw new LocalStackError(`serverless-offline did not start (${why}):\n${tail.join("\n")}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new LocalStackError(
        `serverless-offline did not open its lambda port ${opts.lambdaPort} within ${Math.round((opts.startTimeoutMs ?? 90_000) / 1000)} s:\n${tail.join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { pid: child.pid!, lambdaEndpoint: `http://127.0.0.1:${opts.lambdaPort}`, functions, stop, exited };
}

/** osls' CLI entry, resolved from the project (never a global `serverless`, which may be v4). */
function serverlessCli(projectDir: string): string {
  const local = join(projectDir, "node_modules", "osls", "bin", "serverless.js");
  if (existsSync(local)) return local;
  try {
    return join(
      dirname(createRequire(join(projectDir, "package.json")).resolve("osls/package.json")),
      "bin",
      "serverless.js",
    );
  } catch {
    throw new LocalStackError(
      "osls (the Serverless Framework v3 line) is not installed: run 'npm run setup'",
    );
  }
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
