// A private dockerd for tests that must restart a daemon: started (and restarted) by the test with
// its own socket, data root and exec root, so the shared daemon other test files use is never
// disturbed. Started like the shared one: `dockerd --bridge=none --iptables=false`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dockerAnswers } from "../../../lib/executors/docker";

export interface PrivateDockerd {
  env: { DOCKER_HOST: string };
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/** Why a private dockerd cannot run here, or null when it can. */
export function privateDockerdUnavailable(): string | null {
  if (process.env.REEF_TEST_DOCKERD === "0") return "REEF_TEST_DOCKERD=0";
  if (process.getuid?.() !== 0) return "starting a dockerd needs root";
  if (spawnSync("dockerd", ["--version"]).status !== 0) return "no dockerd binary on PATH";
  return null;
}

export function privateDockerd(dir: string): PrivateDockerd {
  const socket = `${dir}/docker.sock`;
  const env = { DOCKER_HOST: `unix://${socket}` };
  let child: ChildProcess | undefined;
  let exited: Promise<void> | undefined;

  return {
    env,
    async start() {
      mkdirSync(dir, { recursive: true });
      child = spawn(
        "dockerd",
        [
          "--bridge=none",
          "--iptables=false",
          `--host=${env.DOCKER_HOST}`,
          `--data-root=${dir}/data`,
          `--exec-root=${dir}/exec`,
          `--pidfile=${dir}/docker.pid`,
        ],
        { stdio: "ignore", detached: true },
      );
      const c = child;
      exited = new Promise((resolve) => c.once("exit", () => resolve()));
      const deadline = Date.now() + 30_000;
      while (!(await dockerAnswers(env))) {
        if (c.exitCode !== null) throw new Error(`private dockerd exited at start (code ${c.exitCode})`);
        if (Date.now() > deadline) throw new Error("private dockerd did not answer within 30 s");
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (!child || child.exitCode !== null || !child.pid) return;
      process.kill(child.pid, "SIGTERM"); // dockerd stops its containers and its containerd
      const timer = setTimeout(() => child?.pid && process.kill(child.pid, "SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    },
    async destroy() {
      await this.stop();
      // dockerd leaves its network namespace mount (exec/netns/default) behind: unmount what is ours.
      const mounts = readFileSync("/proc/self/mounts", "utf8")
        .split("\n")
        .map((l) => l.split(" ")[1])
        .filter((m) => m?.startsWith(`${dir}/`))
        .reverse();
      for (const m of mounts) spawnSync("umount", ["-l", m]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
