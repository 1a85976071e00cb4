// Starts a JetStream nats-server as a child process: used by `npm start` and by the test setup.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createConnection, createServer } from "node:net";

export interface NatsServerOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** JetStream store directory. */
  storeDir: string;
  /** Where the server writes its log; inherits nothing when unset. */
  logFile?: string;
  /** Keep running after this process exits (the local stack's server outlives Ctrl-C of the tool). */
  detached?: boolean;
  /** Bound on the wait for the port to accept connections. */
  startTimeoutMs?: number;
  /** A nats-server config file (`-c`; the local stack's holds its credentials). Flags override it. */
  configFile?: string;
}

export interface NatsServer {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on host:port within timeoutMs. */
export function portAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

export async function startNatsServer(opts: NatsServerOptions): Promise<NatsServer> {
  const port = opts.port || (await freePort());
  mkdirSync(opts.storeDir, { recursive: true });
  const args = ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", opts.storeDir];
  if (opts.configFile) args.unshift("-c", opts.configFile);
  if (opts.logFile) args.push("-l", opts.logFile);
  let child: ChildProcess;
  try {
    child = spawn("nats-server", args, {
      stdio: "ignore",
      detached: opts.detached ?? false,
    });
  } catch (err) {
    throw new Error(`cannot start nats-server (is it installed? run 'npm run setup'): ${String(err)}`);
  }
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  if (opts.detached) child.unref();

  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  for (;;) {
    const state = await Promise.race([
      portAnswers("127.0.0.1", port).then((ok) => (ok ? "up" : "down")),
      exited.then(() => "exited"),
      spawnError.then((e) => e),
    ]);
    if (state === "up") break;
    if (state instanceof Error) {
      throw new Error(`cannot start nats-server (is it installed? run 'npm run setup'): ${state.message}`);
    }
    if (state === "exited") throw new Error(`nats-server exited at start (port ${port})`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`nats-server did not accept connections on port ${port} in time`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
