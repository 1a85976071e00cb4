// A test world for the Docker executor: unique buckets, a unique executor scope (so this file's
// reconcile never touches other files' containers), the local runner image, and helpers.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type Docker from "dockerode";
import type { NatsConnection } from "@nats-io/transport-node";
import type { ConvergeDeps } from "../../../lib/converge";
import {
  createDockerExecutor,
  ensureLocalRunnerImage,
  SCOPE_LABEL,
  type DockerExecutor,
} from "../../../lib/executors/docker";
import { openTestStore, uniqueSuffix, type TestStore } from "../../helpers/nats";

export interface DockerWorld extends TestStore {
  scope: string;
  env: Record<string, string>;
  executor: DockerExecutor;
  docker: Docker;
  deps: ConvergeDeps;
  /** Another executor on the same store and scope with extra env (e.g. another engine). */
  executorWith(extra: Record<string, string>): DockerExecutor;
  /** This scope's containers of a pipeline (all states), straight from the daemon. */
  containers(pipeline: string): Promise<Docker.ContainerInfo[]>;
  /** Removes every container of this scope. */
  cleanup(): Promise<void>;
}

/**
 * A stand-in engine usable inside the minimal image (no /usr/bin/env there): the repo's fake
 * engine with an absolute node shebang, bind-mounted read-only.
 */
export function fakeEngineBind(): { bind: string; path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "reef-docker-fake-"));
  const file = join(dir, "fake-engine.mjs");
  const body = readFileSync(resolve("test/fixtures/fake-engine.mjs"), "utf8").replace(/^#!.*\n/, "");
  writeFileSync(file, `#!/usr/local/bin/node\n${body}`);
  chmodSync(dir, 0o755);
  chmodSync(file, 0o755);
  const path = "/opt/reef-test/fake-engine.mjs";
  return { bind: `${file}:${path}:ro`, path, dir };
}

export async function openDockerWorld(extraEnv: Record<string, string> = {}): Promise<DockerWorld> {
  await ensureLocalRunnerImage();
  const t = await openTestStore();
  const scope = `test-${uniqueSuffix()}`;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...t.env,
    REEF_DOCKER_SCOPE: scope,
    REEF_STOP_TIMEOUT: "3",
    ...extraEnv,
  };
  const executorWith = (extra: Record<string, string>) => createDockerExecutor({ ...env, ...extra });
  const executor = executorWith({});
  const docker = executor.docker;
  const list = (filters: string[]) =>
    docker.listContainers({ all: true, filters: { label: [`${SCOPE_LABEL}=${scope}`, ...filters] } });
  return {
    ...t,
    scope,
    env,
    executor,
    docker,
    deps: { store: t.store, executor },
    executorWith,
    containers: (pipeline) => list([`reef.pipeline=${pipeline}`]),
    async cleanup() {
      for (const c of await list([])) {
        await docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => {});
      }
    },
  };
}

/**
 * Publishes `payload` on `input` (again every 250 ms: a core NATS subscriber only sees messages
 * sent after it subscribed) until a message arrives on `output`; returns its text.
 */
export async function roundTrip(
  nc: NatsConnection,
  input: string,
  output: string,
  payload: string,
  timeoutMs = 20_000,
): Promise<string> {
  const sub = nc.subscribe(output, { max: 1 });
  const timer = setInterval(() => nc.publish(input, payload), 250);
  const deadline = setTimeout(() => sub.unsubscribe(), timeoutMs);
  try {
    nc.publish(input, payload);
    for await (const m of sub) return m.string();
    throw new Error(`no message on ${output} within ${timeoutMs} ms (published to ${input})`);
  } finally {
    clearInterval(timer);
    clearTimeout(deadline);
  }
}

/** A config on the built-in engine: NATS subject in → mapping → NATS subject out. */
export function natsMappingConfig(input: string, output: string, prefix: string): string {
  return [
    "input:",
    "  nats:",
    '    urls: ["${NATS_URL}"]',
    `    subject: ${input}`,
    "pipeline:",
    "  processors:",
    `    - mapping: 'root = "${prefix}" + content().string()'`,
    "output:",
    "  nats:",
    '    urls: ["${NATS_URL}"]',
    `    subject: ${output}`,
    "",
  ].join("\n");
}
