// The Docker executor's pure parts: settings, DOCKER_HOST, log frames, state mapping, container options.
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createDockerExecutor,
  dockerAnswers,
  dockerOptions,
  dockerSettings,
  ensureLocalRunnerImage,
  failureFrom,
  stateOf,
  demuxBuffer,
  LogDemuxer,
  parseMemory,
  sharedLibraries,
  type ContainerInfo,
} from "../../../lib/executors/docker/internal";
import { parseFatalLine } from "../../../lib/model";
import { dockerSkipReason } from "../../helpers/docker";

const noDaemon = await dockerSkipReason("the Docker daemon ping test");

const frame = (stream: 1 | 2, text: string) => {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

const info = (state: Partial<ContainerInfo["State"]>, policy = "unless-stopped") =>
  ({
    Id: "c1",
    Name: "/reef-p-0",
    State: { Status: "running", Running: false, Restarting: false, Paused: false, ExitCode: 0, ...state },
    HostConfig: { RestartPolicy: { Name: policy } },
    Config: { Labels: {} },
  }) as unknown as ContainerInfo;

describe("docker settings", () => {
  it("has hardened, local-stack defaults", () => {
    expect(dockerSettings({})).toEqual({
      image: "reef-runner:local",
      memory: 0,
      nanoCpus: 0,
      network: "host",
      stopTimeout: 10,
      user: "10001:10001",
      secretsDir: resolve(".reef/state/docker-secrets"),
      binds: [],
    });
  });
  it("reads limits, network, timeout, creds and scope", () => {
    const s = dockerSettings({
      REEF_RUNNER_IMAGE: "ghcr.io/acme/reef-runner:1",
      REEF_DOCKER_MEMORY: "256m",
      REEF_DOCKER_CPUS: "0.5",
      REEF_DOCKER_NETWORK: "reef-net",
      REEF_STOP_TIMEOUT: "3",
      NATS_CREDS: "/etc/nats/app.creds",
      REEF_DOCKER_BINDS: "/a:/b:ro, /c:/d",
      REEF_DOCKER_SCOPE: "ci",
    });
    expect(s).toMatchObject({
      image: "ghcr.io/acme/reef-runner:1",
      memory: 256 * 1024 ** 2,
      nanoCpus: 500_000_000,
      network: "reef-net",
      stopTimeout: 3,
      credsFile: "/etc/nats/app.creds",
      binds: ["/a:/b:ro", "/c:/d"],
      scope: "ci",
    });
  });
  it("rejects nonsense", () => {
    expect(() => parseMemory("lots")).toThrow(/REEF_DOCKER_MEMORY/);
    expect(() => dockerSettings({ REEF_DOCKER_CPUS: "-1" })).toThrow(/REEF_DOCKER_CPUS/);
    expect(() => dockerSettings({ REEF_STOP_TIMEOUT: "soon" })).toThrow(/REEF_STOP_TIMEOUT/);
    expect(parseMemory("1g")).toBe(1024 ** 3);
    expect(parseMemory("1.5GiB")).toBe(1.5 * 1024 ** 3);
  });
});

describe("dockerAnswers", () => {
  it.skipIf(noDaemon)("is true for the running daemon", async () => {
    expect(await dockerAnswers(process.env)).toBe(true);
  });
  it("is false, quickly, for nothing", async () => {
    const t0 = Date.now();
    expect(await dockerAnswers({ DOCKER_HOST: "unix:///nonexistent/docker.sock" })).toBe(false);
    expect(await dockerAnswers({ DOCKER_HOST: "tcp://127.0.0.1:1" })).toBe(false);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});

describe("DOCKER_HOST", () => {
  it("defaults to the standard socket and honours unix and tcp hosts", () => {
    expect(dockerOptions({})).toEqual({ socketPath: "/var/run/docker.sock" });
    expect(dockerOptions({ DOCKER_HOST: "unix:///tmp/d.sock" })).toEqual({ socketPath: "/tmp/d.sock" });
    expect(dockerOptions({ DOCKER_HOST: "tcp://10.0.0.5:2375" })).toEqual({
      host: "10.0.0.5",
      port: "2375",
      protocol: "http",
    });
    expect(dockerOptions({ DOCKER_HOST: "tcp://dockerhost:2376" })).toMatchObject({ protocol: "https" });
  });
});

describe("log frames", () => {
  it("splits multiplexed frames into lines per stream, across chunk boundaries", () => {
    const all = Buffer.concat([frame(1, "out one\nout "), frame(2, "err one\n"), frame(1, "two\n")]);
    expect(demuxBuffer(all)).toEqual([
      { stream: "stdout", line: "out one" },
      { stream: "stderr", line: "err one" },
      { stream: "stdout", line: "out two" },
    ]);
    const d = new LogDemuxer();
    const lines = [
      ...d.push(all.subarray(0, 5)),
      ...d.push(all.subarray(5, 21)),
      ...d.push(all.subarray(21)),
    ];
    expect(lines.map((l) => l.line)).toEqual(["out one", "err one", "out two"]);
  });
});

describe("container state → execution state", () => {
  it("maps Docker states", () => {
    expect(stateOf(info({ Status: "running", Running: true }))).toBe("running");
    expect(stateOf(info({ Status: "created" }))).toBe("pending");
    expect(stateOf(info({ Status: "restarting", Restarting: true, Running: true, ExitCode: 0 }))).toBe(
      "pending",
    );
    expect(stateOf(info({ Status: "restarting", Restarting: true, Running: true, ExitCode: 1 }))).toBe(
      "failed",
    );
    expect(stateOf(info({ Status: "exited", ExitCode: 0 }))).toBe("exited");
    expect(stateOf(info({ Status: "exited", ExitCode: 2 }))).toBe("failed");
    // stopped by reef: restart policy switched to "no" before the stop
    expect(stateOf(info({ Status: "exited", ExitCode: 143 }, "no"))).toBe("stopped");
    expect(stateOf(info({ Status: "exited", ExitCode: 0 }, "no"))).toBe("stopped");
  });

  it("takes the runner's fatal line as the error, else the exit code and last line", () => {
    const fatal = 'reef-runner: fatal {"code":"DIGEST_MISMATCH","message":"config p/1 has digest x"}';
    expect(parseFatalLine(fatal)).toEqual({ code: "DIGEST_MISMATCH", message: "config p/1 has digest x" });
    expect(parseFatalLine("reef-runner: fatal {oops")).toBeNull();
    expect(failureFrom(1, ["starting", fatal, ""])).toEqual({
      code: "DIGEST_MISMATCH",
      message: "config p/1 has digest x",
    });
    // a fatal line from an earlier run followed by other output is not this run's reason
    expect(failureFrom(3, [fatal, "panic: boom"])).toEqual({
      code: "ENGINE_FAILED",
      message: "exited with code 3: panic: boom",
    });
    expect(failureFrom(137, [], true).message).toMatch(/memory limit/);
  });
});

describe("container options", () => {
  it("runs non-root, without privileges, read-only, with limits and mounted creds", () => {
    const ex = createDockerExecutor({
      NATS_URL: "nats://127.0.0.1:4999",
      NATS_CREDS: "/secrets/app.creds",
      REEF_DOCKER_MEMORY: "128m",
      REEF_DOCKER_CPUS: "1",
      REEF_ENGINE: "builtin",
    });
    const c = ex.containerConfig({ pipeline: "p", version: "3", digest: "d".repeat(64), replica: 1 });
    expect(c.Labels).toEqual({
      "reef.pipeline": "p",
      "reef.version": "3",
      "reef.digest": "d".repeat(64),
      "reef.replica": "1",
    });
    expect(c.User).toBe("10001:10001");
    expect(c.Env).toEqual(
      expect.arrayContaining([
        "PIPELINE_ID=p",
        "PIPELINE_VERSION=3",
        "PIPELINE_REPLICA=1",
        "NATS_URL=nats://127.0.0.1:4999",
        "NATS_CREDS=/run/reef/nats.creds",
        "REEF_ENGINE=builtin",
      ]),
    );
    expect(c.HostConfig).toMatchObject({
      RestartPolicy: { Name: "unless-stopped" },
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges:true"],
      ReadonlyRootfs: true,
      NetworkMode: "host",
      Memory: 128 * 1024 ** 2,
      NanoCpus: 1e9,
      Binds: ["/secrets/app.creds:/run/reef/nats.creds:ro"],
    });
    expect(Object.keys(c.HostConfig!.Tmpfs!)).toEqual(["/tmp"]);
  });

  it("mounts a NATS token or password as a read-only file, never as plain env", () => {
    const base = { NATS_URL: "nats://127.0.0.1:4999", REEF_STATE_DIR: "/var/lib/reef" };
    const spec = { pipeline: "p", version: "3", digest: "d".repeat(64), replica: 0 };
    const token = createDockerExecutor({ ...base, NATS_TOKEN: "t0ken" }).containerConfig(spec);
    expect(token.Env).toContain("NATS_TOKEN_FILE=/run/reef/nats-token");
    expect(token.Env!.join("\n")).not.toContain("t0ken");
    expect(token.HostConfig!.Binds).toEqual([
      "/var/lib/reef/docker-secrets/nats_token:/run/reef/nats-token:ro",
    ]);

    const user = createDockerExecutor({ ...base, NATS_USER: "app", NATS_PASSWORD: "pa55" }).containerConfig(
      spec,
    );
    expect(user.Env).toEqual(
      expect.arrayContaining(["NATS_USER=app", "NATS_PASSWORD_FILE=/run/reef/nats-password"]),
    );
    expect(user.Env!.join("\n")).not.toContain("pa55");
    expect(user.HostConfig!.Binds).toEqual([
      "/var/lib/reef/docker-secrets/nats_password:/run/reef/nats-password:ro",
    ]);
  });
});

describe("local image", () => {
  it("never builds over another configured runner image", async () => {
    const r = await ensureLocalRunnerImage({ env: { REEF_RUNNER_IMAGE: "ghcr.io/acme/reef-runner:1" } });
    expect(r).toMatchObject({ image: "ghcr.io/acme/reef-runner:1", built: false });
    expect(r.skipped).toMatch(/REEF_RUNNER_IMAGE/);
  });

  it("lists the node binary's shared libraries with ldd", async () => {
    const libs = await sharedLibraries(process.execPath);
    expect(libs.some((l) => /libc\.so/.test(l))).toBe(true);
    expect(libs.every((l) => l.startsWith("/"))).toBe(true);
  });
});
