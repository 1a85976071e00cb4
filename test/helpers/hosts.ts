// Real reef hosts for tests: `node dist/runner.mjs host` processes on the test nats-server, each in
// its own process group (killed with the test), and a host executor over the same buckets.
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { createHostExecutor, type HostExecutor } from "../../lib/executors/host";
import { openTestStore, uniqueSuffix, waitFor, type TestStore } from "./nats";
import type { HostBuckets } from "../../lib/host";

export interface TestHost {
  id: string;
  child: ChildProcess;
  /** Everything the host wrote on stderr. */
  output(): string;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process ended. */
  exited: Promise<number | null>;
}

export interface HostWorld extends TestStore {
  /** The env of the control plane and the hosts. */
  env: Record<string, string>;
  executor: HostExecutor;
  newExecutor(): Promise<HostExecutor>;
  buckets: HostBuckets;
  hosts: TestHost[];
  startHost(extraEnv?: Record<string, string>): Promise<TestHost>;
  destroy(): Promise<void>;
}

export async function openHostWorld(extraEnv: Record<string, string> = {}): Promise<HostWorld> {
  const t = await openTestStore();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    ...t.env,
    REEF_EXECUTOR: "host",
    REEF_HOST_TTL: "6s",
    REEF_HEARTBEAT_INTERVAL: "2s",
    REEF_STOP_TIMEOUT: "5",
    ...extraEnv,
  };
  const executors: HostExecutor[] = [];
  const newExecutor = async () => {
    const e = await createHostExecutor(env);
    executors.push(e);
    return e;
  };
  const executor = await newExecutor();
  const hosts: TestHost[] = [];
  const startHost = async (more: Record<string, string> = {}): Promise<TestHost> => {
    const id = `h${hosts.length}-${uniqueSuffix()}`;
    const child = spawn(process.execPath, [resolve("dist/runner.mjs"), "host"], {
      env: { ...env, REEF_HOST_ID: id, ...more },
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    });
    let out = "";
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const host: TestHost = {
      id,
      child,
      output: () => out,
      kill: (signal = "SIGTERM") => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          /* gone */
        }
      },
      exited,
    };
    hosts.push(host);
    await waitFor(
      async () => (await executor.buckets.liveHosts()).some((h) => h.id === id),
      `host ${id} registered (${out})`,
      20_000,
    );
    return host;
  };
  return {
    ...t,
    env,
    executor,
    newExecutor,
    buckets: executor.buckets,
    hosts,
    startHost,
    async destroy() {
      for (const h of hosts) h.kill("SIGKILL");
      await Promise.all(hosts.map((h) => h.exited));
      await Promise.all(executors.map((e) => e.close()));
      await t.close();
    },
  };
}
