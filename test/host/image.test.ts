// The runner image runs as a reef host (`<image> host`, what the AWS `hosts` service runs), hardened
// as the executions' containers are: non-root, read-only root with a tmpfs /tmp, no capabilities.
// It registers, runs a placed pipeline that answers, and on `docker stop` drains and leaves.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConvergeDeps } from "../../lib/converge";
import { ensureLocalRunnerImage, DEFAULT_RUNNER_IMAGE } from "../../lib/executors/docker";
import { convergeSettled } from "../helpers/converge";
import { dockerSkipReason } from "../helpers/docker";
import { openHostWorld, type HostWorld } from "../helpers/hosts";
import { uniqueSuffix, waitFor } from "../helpers/nats";
import { putConfig, putDefinition } from "../helpers/pipelines";
import { echoConfig, roundtrip } from "./echo";

const run = promisify(execFile);
const noDaemon = await dockerSkipReason("the runner image as a reef host");

describe.skipIf(noDaemon)("the runner image as a reef host", () => {
  let w: HostWorld;
  const name = `reef-host-image-${uniqueSuffix()}`;
  const hostId = `image-${uniqueSuffix()}`;
  beforeAll(async () => {
    await ensureLocalRunnerImage();
    w = await openHostWorld({ REEF_EXECUTION_ENV: "NATS_URL" });
  }, 180_000);
  afterAll(async () => {
    await run("docker", ["rm", "-f", name]).catch(() => undefined);
    await w?.destroy();
  }, 60_000);

  it("registers, runs a pipeline that answers, and leaves the hosts bucket on docker stop", async () => {
    const env = Object.entries({ ...w.env, REEF_HOST_ID: hostId })
      .filter(([k]) => k === "NATS_URL" || k.startsWith("REEF_"))
      .flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    await run("docker", [
      "run",
      "-d",
      "--name",
      name,
      "--network",
      "host",
      "--user",
      "10001:10001",
      "--read-only",
      "--tmpfs",
      "/tmp",
      "--cap-drop",
      "ALL",
      "--init",
      ...env,
      DEFAULT_RUNNER_IMAGE,
      "host",
    ]);
    await waitFor(
      async () => (await w.buckets.liveHosts()).some((h) => h.id === hostId),
      "the containerized host registered",
      30_000,
    );
    const deps: ConvergeDeps = { store: w.store, executor: w.executor };
    const id = `img-${uniqueSuffix()}`;
    await putConfig(w, id, "1", echoConfig(id, "img"));
    await putDefinition(w, { id, status: "published", version: "1" });
    const r = await convergeSettled(deps, id);
    expect(r.error).toBeNull();
    expect(r.phase).toBe("running");
    expect((await w.buckets.listPlacements(id)).map((p) => p.value.host)).toEqual([hostId]);
    expect(await roundtrip(w.nc, id, "ping")).toBe("img:ping");

    await run("docker", ["stop", "-t", "30", name]);
    const { stdout } = await run("docker", ["inspect", "-f", "{{.State.ExitCode}}", name]);
    expect(stdout.trim()).toBe("0");
    expect((await w.buckets.liveHosts()).some((h) => h.id === hostId)).toBe(false);
  }, 120_000);
});
