// The Docker executor driven through converge()/reconcile() against the real daemon.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyPlan, reconcile, type ConvergeDeps } from "../../../lib/converge";
import { containerName, type DockerExecutor } from "../../../lib/executors/docker";
import { freePort, portAnswers } from "../../../lib/local/nats-server";
import { connectNats, Store } from "../../../lib/store/internal";
import { convergeSettled } from "../../helpers/converge";
import { dockerSkipReason } from "../../helpers/docker";
import { uniqueSuffix, waitFor } from "../../helpers/nats";
import { putConfig, putDefinition, sampleConfig } from "../../helpers/pipelines";
import { fakeEngineBind, natsMappingConfig, openDockerWorld, roundTrip, type DockerWorld } from "./world";

let w: DockerWorld;
let builtin: DockerExecutor;
let fake: DockerExecutor;
let fakeDir: string | undefined;

const uid = (p: string) => `${p}-${uniqueSuffix()}`;
const noDaemon = await dockerSkipReason("the Docker executor lifecycle suite");

beforeAll(async () => {
  if (noDaemon) return;
  w = await openDockerWorld();
  builtin = w.executorWith({ REEF_ENGINE: "builtin" });
  const f = fakeEngineBind();
  fakeDir = f.dir;
  fake = w.executorWith({ REEF_ENGINE: f.path, REEF_DOCKER_BINDS: f.bind });
}, 90_000);

afterAll(async () => {
  await w?.cleanup();
  await w?.close();
  if (fakeDir) rmSync(fakeDir, { recursive: true, force: true });
});

/** The pipelines of the full life run on the built-in engine inside the container. */
function depsFor(): ConvergeDeps {
  return { store: w.store, executor: builtin };
}

/** The container really processes NATS messages: in.<id> → mapping → out.<id>. */
async function expectMessages(id: string, prefix: string) {
  const got = await roundTrip(w.nc, `in.${id}`, `out.${id}`, "hello");
  expect(got).toBe(`${prefix}hello`);
}

describe.skipIf(noDaemon)("converge with the Docker executor", () => {
  it("goes through a full life: publish, v2, scale, pause, resume, draft, delete", async () => {
    const id = uid("life");
    const deps = depsFor();
    await putConfig(w, id, "1", natsMappingConfig(`in.${id}`, `out.${id}`, "v1:"));
    await putConfig(w, id, "2", natsMappingConfig(`in.${id}`, `out.${id}`, "v2:"));

    // publish v1 → one running container, labelled, hardened
    await putDefinition(w, { id, status: "published", version: "1" });
    let r = await convergeSettled(deps, id);
    expect(r.error).toBeNull();
    expect(r.phase).toBe("running");
    let cs = await w.containers(id);
    expect(cs.map((c) => [c.Names[0], c.State, c.Labels["reef.version"], c.Labels["reef.replica"]])).toEqual([
      [`/${containerName(id, 0)}`, "running", "1", "0"],
    ]);
    const info = await w.docker.getContainer(cs[0].Id).inspect();
    expect(info.Config.Labels["reef.digest"]).toMatch(/^[0-9a-f]{64}$/);
    expect(info.Config.User).toBe("10001:10001");
    expect(info.HostConfig).toMatchObject({
      CapDrop: ["ALL"],
      ReadonlyRootfs: true,
      NetworkMode: "host",
      RestartPolicy: { Name: "unless-stopped" },
    });
    expect(info.HostConfig.SecurityOpt).toContain("no-new-privileges:true");
    const status1 = await w.store.getStatus(id);
    expect(status1).toMatchObject({ phase: "running", executor: "docker", version: "1", error: null });
    expect(status1!.executions).toEqual([
      expect.objectContaining({ id: cs[0].Id, state: "running", version: "1" }),
    ]);
    await expectMessages(id, "v1:");

    // v2 → only v2 containers remain
    await putDefinition(w, { id, status: "published", version: "2" });
    r = await convergeSettled(deps, id);
    expect(r.phase).toBe("running");
    cs = await w.containers(id);
    expect(cs.map((c) => [c.State, c.Labels["reef.version"]])).toEqual([["running", "2"]]);
    await expectMessages(id, "v2:");

    // scale 1 → 3 → 1: replica 0 is kept throughout
    const replica0 = cs[0].Id;
    await putDefinition(w, { id, status: "published", version: "2", replicas: 3 });
    r = await convergeSettled(deps, id);
    expect(r.phase).toBe("running");
    cs = await w.containers(id);
    expect(cs.map((c) => c.Names[0]).sort()).toEqual([0, 1, 2].map((n) => `/${containerName(id, n)}`));
    expect(cs.every((c) => c.State === "running")).toBe(true);
    await putDefinition(w, { id, status: "published", version: "2", replicas: 1 });
    r = await convergeSettled(deps, id);
    expect(r.phase).toBe("running");
    cs = await w.containers(id);
    expect(cs.map((c) => c.Id)).toEqual([replica0]);

    // pause → stopped but kept, and marked as stopped by reef
    await putDefinition(w, { id, status: "paused", version: "2" });
    r = await convergeSettled(deps, id);
    expect(r.phase).toBe("stopped");
    cs = await w.containers(id);
    expect(cs.map((c) => [c.Id, c.State])).toEqual([[replica0, "exited"]]);
    expect((await deps.executor.list(id)).map((e) => e.state)).toEqual(["stopped"]);

    // publish again → the same container starts again
    await putDefinition(w, { id, status: "published", version: "2" });
    r = await convergeSettled(deps, id);
    expect(r.phase).toBe("running");
    expect(r.actions).toEqual([expect.stringMatching(/^resume /)]);
    cs = await w.containers(id);
    expect(cs.map((c) => [c.Id, c.State])).toEqual([[replica0, "running"]]);
    await expectMessages(id, "v2:");

    // draft → no container and no volume left
    const volumes = (await w.docker.getContainer(replica0).inspect()).Mounts.map((m) => m.Name);
    await putDefinition(w, { id, status: "draft", version: "2" });
    r = await convergeSettled(deps, id);
    expect(r.phase).toBe("absent");
    expect(await w.containers(id)).toEqual([]);
    const left = (await w.docker.listVolumes()).Volumes?.map((v) => v.Name) ?? [];
    expect(left.filter((v) => volumes.includes(v))).toEqual([]);

    // delete → status entry deleted
    await w.store.deleteDefinition(id);
    r = await convergeSettled(deps, id);
    expect(r.phase).toBe("deleted");
    expect(await w.store.getStatus(id)).toBeNull();
  }, 120_000);

  it("removes a labelled container that no definition wants (orphan) on reconcile", async () => {
    const id = uid("orphan");
    await applyPlan(fake, {
      pipeline: id,
      target: { state: "running", version: "1", digest: "0".repeat(64), replicas: 1 },
      actions: [{ type: "start", pipeline: id, replica: 0, version: "1", digest: "0".repeat(64) }],
    });
    expect(await w.containers(id)).toHaveLength(1);
    const r = await reconcile({ store: w.store, executor: fake });
    expect(r.orphans).toContain(id);
    expect(await w.containers(id)).toEqual([]);
  });

  it("leaves an unlabelled container with a reef name alone and reports NAME_CONFLICT", async () => {
    const id = uid("x");
    const name = containerName(id, 0);
    const foreign = await w.docker.createContainer({
      name,
      Image: "reef-runner:local",
      Entrypoint: ["/usr/local/bin/node", "-e", "setInterval(() => {}, 1e9)"],
    });
    try {
      await putConfig(w, id, "1", natsMappingConfig(`in.${id}`, `out.${id}`, "x:"));
      await putDefinition(w, { id, status: "published", version: "1" });
      const r = await convergeSettled(depsFor(), id);
      expect(r.phase).toBe("failed");
      expect(r.error).toMatchObject({ code: "NAME_CONFLICT" });
      expect((await w.store.getStatus(id))?.error).toMatchObject({ code: "NAME_CONFLICT" });
      const after = await foreign.inspect();
      expect(after.State.Status).toBe("created"); // never started, stopped or removed
      const labels = after.Config.Labels ?? {};
      for (const l of ["reef.pipeline", "reef.version", "reef.digest", "reef.replica"])
        expect(labels[l]).toBeUndefined();
      // draft: still not touched
      await putDefinition(w, { id, status: "draft" });
      await convergeSettled(depsFor(), id);
      expect((await foreign.inspect()).Id).toBe(after.Id);
    } finally {
      await foreign.remove({ force: true });
    }
  });

  it("reports the runner's fatal error (ENGINE_NOT_FOUND) from the container's logs", async () => {
    const id = uid("fatal");
    const broken = w.executorWith({ REEF_ENGINE: "/no/such/engine" });
    await putConfig(w, id, "1", natsMappingConfig(`in.${id}`, `out.${id}`, "f:"));
    await putDefinition(w, { id, status: "published", version: "1" });
    const deps = { store: w.store, executor: broken };
    const r = await convergeSettled(deps, id);
    expect(r.phase).toBe("failed");
    expect(r.error).toMatchObject({
      code: "ENGINE_NOT_FOUND",
      message: expect.stringContaining("/no/such/engine"),
    });
    // The container crash-loops under its restart policy: between two restarts it runs briefly
    // (pending); the executor reports it failed, with the runner's error, once it has exited again.
    const e = await waitFor(async () => {
      const [x] = await broken.list(id);
      return x?.state === "failed" ? x : null;
    }, "the crash-looping container reported failed");
    expect(e).toMatchObject({ state: "failed", error: { code: "ENGINE_NOT_FOUND" } });
    // and `reef logs` sees the same line, also when following (until aborted)
    const lines: string[] = [];
    for await (const l of broken.logs(e, { tail: 20 })) lines.push(l);
    expect(lines.some((l) => l.startsWith("reef-runner: fatal "))).toBe(true);
    const abort = new AbortController();
    const bound = setTimeout(() => abort.abort(), 20_000);
    let followed: string | undefined;
    for await (const l of broken.logs(e, { follow: true, tail: 1, signal: abort.signal })) {
      followed = l;
      abort.abort();
    }
    clearTimeout(bound);
    expect(followed).toMatch(/^reef-runner: fatal /);
    await putDefinition(w, { id, status: "draft" });
    expect((await convergeSettled(deps, id)).phase).toBe("absent");
  });
});

describe.skipIf(noDaemon)("container options against the daemon", () => {
  it("mounts NATS creds read-only at /run/reef/nats.creds and applies limits", async () => {
    const id = uid("opts");
    const dir = mkdtempSync(join(tmpdir(), "reef-creds-"));
    const creds = join(dir, "app.creds");
    writeFileSync(creds, "-----BEGIN NATS USER JWT-----\nnot-a-real-jwt\n------END NATS USER JWT------\n", {
      mode: 0o644,
    });
    const f = fakeEngineBind();
    try {
      const ex = w.executorWith({
        REEF_ENGINE: f.path,
        REEF_DOCKER_BINDS: f.bind,
        NATS_CREDS: creds,
        REEF_DOCKER_MEMORY: "256m",
        REEF_DOCKER_CPUS: "0.5",
      });
      const spec = { pipeline: id, replica: 0, version: "1", digest: "2".repeat(64) };
      await ex.start(spec);
      const [c] = await w.containers(id);
      const info = await w.docker.getContainer(c.Id).inspect();
      expect(info.HostConfig).toMatchObject({ Memory: 256 * 1024 ** 2, NanoCpus: 5e8 });
      expect(info.Config.Env).toContain("NATS_CREDS=/run/reef/nats.creds");
      expect(info.Mounts).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Type: "bind",
            Source: creds,
            Destination: "/run/reef/nats.creds",
            RW: false,
          }),
        ]),
      );
      // the file is there, inside the read-only root filesystem
      const archive = await w.docker.getContainer(c.Id).getArchive({ path: "/run/reef/nats.creds" });
      let bytes = 0;
      for await (const chunk of archive) bytes += (chunk as Buffer).length;
      expect(bytes).toBeGreaterThan(512);
      const [execution] = await ex.list(id);
      await ex.remove(execution);
      expect(await w.containers(id)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(f.dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(noDaemon)("NATS secrets against the daemon", () => {
  it("a NATS token reaches the runner as a read-only file, not in the env docker inspect shows", async () => {
    const token = `t0ken-${uniqueSuffix()}`;
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "reef-token-nats-"));
    // A nats-server that refuses clients without the token.
    const server = spawn(
      "nats-server",
      ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir, "--auth", token],
      {
        stdio: "ignore",
      },
    );
    const url = `nats://127.0.0.1:${port}`;
    const id = uid("token");
    try {
      await waitFor(() => portAnswers("127.0.0.1", port), "the token nats-server", 10_000);
      const nc = await connectNats({ env: { NATS_URL: url, NATS_TOKEN: token } });
      try {
        const store = await Store.open(nc, { names: w.names });
        await store.putConfig(id, "1", new TextEncoder().encode(sampleConfig(id)));
        await store.putDefinition(id, JSON.stringify({ id, status: "published", version: "1" }));
        const executor = w.executorWith({
          NATS_URL: url,
          NATS_TOKEN: token,
          REEF_ENGINE: "builtin",
          REEF_STATE_DIR: join(dir, "state"),
        });
        const deps = { store, executor };
        const r = await convergeSettled(deps, id);
        expect(r.error).toBeNull();
        expect(r.phase).toBe("running"); // the runner fetched its config with the token

        const [c] = await w.containers(id);
        const info = await w.docker.getContainer(c.Id).inspect();
        expect(JSON.stringify(info.Config.Env)).not.toContain(token);
        expect(info.Config.Env).toContain("NATS_TOKEN_FILE=/run/reef/nats-token");
        expect(info.Mounts).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              Type: "bind",
              Source: join(dir, "state", "docker-secrets", "nats_token"),
              Destination: "/run/reef/nats-token",
              RW: false,
            }),
          ]),
        );
        await store.putDefinition(id, JSON.stringify({ id, status: "draft" }));
        expect((await convergeSettled(deps, id)).phase).toBe("absent");
      } finally {
        await nc.close();
      }
    } finally {
      server.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(noDaemon)("concurrency", () => {
  it("two converges starting the same slot at once make one container", async () => {
    const id = uid("race");
    const spec = { pipeline: id, replica: 0, version: "1", digest: "1".repeat(64) };
    const plan = {
      pipeline: id,
      target: { state: "running" as const, version: "1", digest: spec.digest, replicas: 1 },
      actions: [{ type: "start" as const, ...spec }],
    };
    const other = w.executorWith({ REEF_ENGINE: "/no/such/engine" });
    // allSettled: a failure must not leave applies running past the test (and its cleanup)
    const results = await Promise.allSettled([
      applyPlan(fake, plan),
      applyPlan(other, plan),
      applyPlan(fake, plan),
      applyPlan(other, plan),
      applyPlan(fake, plan),
    ]);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const cs = await w.containers(id);
    expect(cs).toHaveLength(1);
    await applyPlan(fake, {
      pipeline: id,
      target: { state: "absent" },
      actions: (await fake.list(id)).map((execution) => ({ type: "remove" as const, execution })),
    });
    expect(await w.containers(id)).toEqual([]);
  });
});
