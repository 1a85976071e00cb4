// `npm start` / `npm run down` as a newcomer runs them (reef up / reef down), and downtime: with the
// whole control plane stopped, one pipeline is created and another deleted; the next start converges
// both. The local nats-server's credentials; a port taken by another program. (A start after a
// crash: test/faults/stack-crash.test.ts.)
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { createServer } from "node:net";
import { connect } from "@nats-io/transport-node";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { freePort } from "../../lib/local";
import { openTestStore, uniqueSuffix, waitFor, type TestStore } from "../helpers/nats";
import { FAKE_ENGINE, listExecutions, removeAllExecutions, ROOT } from "./harness";

const CONFIG = new TextEncoder().encode(
  "input:\n  generate:\n    mapping: 'root = 1'\noutput:\n  drop: {}\n",
);

let t: TestStore;
let env: Record<string, string>;
let home: string;
const esbuildFolder = `.reef/esbuild-e2e-${uniqueSuffix()}`;

beforeAll(async () => {
  t = await openTestStore();
  home = mkdtempSync(join(tmpdir(), "reef-e2e-home-"));
  env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    NO_COLOR: "1",
    ...t.env,
    REEF_HOME: home,
    REEF_EXECUTOR: "process",
    REEF_ENGINE: FAKE_ENGINE,
    REEF_STATE_DIR: join(home, "state"),
    REEF_LAMBDA_PORT: String(await freePort()),
    REEF_HTTP_PORT: String(await freePort()),
    REEF_ESBUILD_WORK_FOLDER: esbuildFolder,
    REEF_OFFLINE_WATCH: ".reef-no-watch",
    REEF_BRIDGE_DURABLE: "stack",
    POWERTOOLS_LOG_LEVEL: "WARN",
    // a busy machine starts a runner slowly: converge waits for it (bounded) before it reports
  };
});
afterAll(async () => {
  await removeAllExecutions(env);
  await t.close();
  rmSync(home, { recursive: true, force: true });
  rmSync(join(ROOT, esbuildFolder), { recursive: true, force: true });
});

interface Up {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

// A test that fails half-way must not leave its stack holding the ports the next test uses.
const started = new Set<Up>();
afterEach(async () => {
  for (const up of started) {
    started.delete(up);
    if (up.child.exitCode !== null || up.child.signalCode !== null) continue;
    up.child.kill("SIGINT");
    const ended = await Promise.race([
      up.exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 30_000).unref()),
    ]);
    if (!ended) up.child.kill("SIGKILL");
  }
});

async function reefUp(upEnv: Record<string, string> = env): Promise<Up> {
  const child = spawn(process.execPath, [join(ROOT, "dist/reef.mjs"), "up"], {
    env: upEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  for (const s of [child.stdout!, child.stderr!])
    createInterface({ input: s }).on("line", (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await waitFor(
    () => lines.some((l) => l.includes("ready.")) || child.exitCode !== null,
    "reef up ready",
    60_000,
  );
  const up = { child, lines, exited };
  started.add(up);
  if (child.exitCode !== null) throw new Error(`reef up exited:\n${lines.join("\n")}`);
  return up;
}

function def(id: string, status: string) {
  return JSON.stringify({ id, status, version: "1", replicas: 1 });
}

async function phase(id: string) {
  return (await t.store.getStatus(id))?.phase;
}

it("reef up runs the system, Ctrl-C leaves executions running, changes made while down converge on the next start, reef down stops executions", async () => {
  for (const id of ["keep", "gone", "new"]) await t.store.putConfig(id, "1", CONFIG);

  const first = await reefUp();
  const out = first.lines.join("\n");
  expect(out).toMatch(/nats-server\s+using nats:\/\/127\.0\.0\.1:\d+ \(already running\)/);
  expect(out).toMatch(/executor\s+process/);
  expect(out).toMatch(/sample\s+pipeline 'sample' loaded as a draft/);
  expect(out).toMatch(
    /functions\s+reef-dev-converge, reef-dev-trigger, reef-dev-reconcile\b.*: Lambda API on http:\/\/127\.0\.0\.1:\d+/,
  );
  expect(out).toContain(`Lambda API on http://127.0.0.1:${env.REEF_LAMBDA_PORT}`);
  expect(out).toContain("npx reef publish sample");
  const sample = await t.store.getDefinitionEntry("sample");
  expect(JSON.parse(new TextDecoder().decode(sample!.value))).toMatchObject({
    id: "sample",
    status: "draft",
  });
  await waitFor(async () => (await phase("sample")) === "absent", "sample converged by the start reconcile");

  await t.store.putDefinition("keep", def("keep", "published"));
  await t.store.putDefinition("gone", def("gone", "published"));
  await waitFor(
    async () => (await phase("keep")) === "running" && (await phase("gone")) === "running",
    "both running",
    20_000,
  );
  const [keepBefore] = await listExecutions(env, "keep");

  // Ctrl-C: the control plane stops cleanly; executions keep running.
  first.child.kill("SIGINT");
  expect(await first.exited).toBe(0);
  expect(first.lines.join("\n")).toContain("control plane stopped");
  expect(
    (await listExecutions(env))
      .filter((e) => e.state === "running")
      .map((e) => e.pipeline)
      .sort(),
  ).toEqual(["gone", "keep"]);

  // Downtime: create one, delete another.
  await t.store.putDefinition("new", def("new", "published"));
  await t.store.deleteDefinition("gone");

  const second = await reefUp();
  expect(second.lines.join("\n")).toMatch(/sample\s+pipeline 'sample' exists already/);
  await waitFor(async () => (await phase("new")) === "running", "created while down → running", 20_000);
  await waitFor(
    async () => (await t.store.getStatus("gone")) === null,
    "deleted while down → status gone",
    20_000,
  );
  expect(await listExecutions(env, "gone")).toEqual([]);
  const [keepAfter] = await listExecutions(env, "keep");
  expect(keepAfter).toMatchObject({ id: keepBefore.id, state: "running" }); // adopted, not restarted twice

  // reef down: stops the running `reef up`, then every execution (kept, stopped); the shared test
  // nats-server was not started by reef, so it is left alone.
  // (not spawnSync: this process must keep reading reef up's output meanwhile)
  const down = await promisify(execFile)(process.execPath, [join(ROOT, "dist/reef.mjs"), "down"], {
    env,
    timeout: 60_000,
  });
  expect(down.stdout).toMatch(/stopping reef up/);
  expect(down.stdout).toMatch(/executions\s+stopped 2/);
  expect(down.stdout).toMatch(/nats-server\s+none started by reef/);
  expect(await second.exited).toBe(0);
  const after = await listExecutions(env);
  expect(after.map((e) => [e.pipeline, e.state]).sort()).toEqual([
    ["keep", "stopped"],
    ["new", "stopped"],
  ]);
  // …and the statuses say so (the next start resumes them)
  expect((await t.store.getStatus("keep"))?.phase).toBe("stopped");
}, 180_000);

it("starts its own nats-server, which requires the credentials kept in REEF_HOME; the CLI and executions use them; Ctrl-C stops it (CONTRACT.md §5)", async () => {
  const ownHome = mkdtempSync(join(tmpdir(), "reef-e2e-home-"));
  const { NATS_URL: _shared, ...rest } = env;
  const natsPort = await freePort();
  const ownEnv = {
    ...rest,
    REEF_HOME: ownHome,
    REEF_STATE_DIR: join(ownHome, "state"),
    REEF_NATS_PORT: String(natsPort),
  };
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, [join(ROOT, "dist/reef.mjs"), ...args], {
      env: ownEnv, // no NATS_URL, no credentials: as a user types `npx reef …` in the project
      timeout: 60_000,
    });
  try {
    const up = await reefUp(ownEnv);
    const url = `nats://127.0.0.1:${natsPort}`;
    expect(up.lines.join("\n")).toMatch(new RegExp(`nats-server\\s+started on ${url}`));
    // the api key the HTTP api requires is printed and kept for the next start
    const key = readFileSync(join(ownHome, "api-key"), "utf8").trim();
    expect(up.lines.join("\n")).toContain(`api key       ${key}`);

    // credentials generated at first start, readable by the owner only
    const authFile = join(ownHome, "nats-server.conf");
    expect(statSync(authFile).mode & 0o777).toBe(0o600);
    const { user, password } = (
      JSON.parse(readFileSync(authFile, "utf8")) as {
        authorization: { user: string; password: string };
      }
    ).authorization;
    // an unauthenticated client is refused; with the credentials it gets in
    await expect(connect({ servers: url, reconnect: false })).rejects.toThrow(/Authorization Violation/i);
    await expect(connect({ servers: url, user, pass: "wrong", reconnect: false })).rejects.toThrow(
      /Authorization Violation/i,
    );
    const authed = await connect({ servers: url, user, pass: password });
    await authed.close();

    // the CLI finds them; an execution started by the stack authenticates too (the runner fetches
    // its config from NATS before it reports running)
    expect(JSON.parse((await cli("list", "--json")).stdout)).toMatchObject([{ id: "sample" }]);
    await cli("publish", "sample");
    await waitFor(
      async () =>
        (JSON.parse((await cli("status", "sample", "--json")).stdout) as { phase: string }).phase ===
        "running",
      "sample running",
      30_000,
    );

    const pid = (JSON.parse(readFileSync(join(ownHome, "nats-server.pid"), "utf8")) as { pid: number }).pid;
    up.child.kill("SIGINT");
    expect(await up.exited).toBe(0);
    await waitFor(() => !alive(pid), "nats-server gone", 15_000);
    expect(existsSync(join(ownHome, "nats-server.pid"))).toBe(false);

    const down = await cli("down");
    expect(down.stdout).toMatch(/nats-server\s+none started by reef/);
  } finally {
    // whatever failed above, leave no process behind
    await removeAllExecutions(ownEnv);
    try {
      const { pid } = JSON.parse(readFileSync(join(ownHome, "nats-server.pid"), "utf8")) as { pid: number };
      if (pid && alive(pid)) process.kill(pid, "SIGKILL");
    } catch {
      // removed by a good stop
    }
    rmSync(ownHome, { recursive: true, force: true });
  }
}, 150_000);

it("a port held by another program stops the start with a clear message, and nothing is left running", async () => {
  const blocker = createServer().listen(Number(env.REEF_LAMBDA_PORT), "127.0.0.1");
  await once(blocker, "listening");
  try {
    const { NATS_URL: _shared, ...rest } = env;
    const otherHome = mkdtempSync(join(tmpdir(), "reef-e2e-home-"));
    const r = await promisify(execFile)(process.execPath, [join(ROOT, "dist/reef.mjs"), "up"], {
      env: { ...rest, REEF_HOME: otherHome, REEF_NATS_PORT: String(await freePort()) },
      timeout: 60_000,
    }).then(
      (ok) => ({ ...ok, code: 0 }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `port ${env.REEF_LAMBDA_PORT} (lambda) is already in use: set REEF_LAMBDA_PORT, or stop what runs there`,
    );
    // checked before anything started: no nats-server, no pid file claiming the home
    expect(r.stdout).not.toMatch(/nats-server\s+started/);
    expect(existsSync(join(otherHome, "up.pid"))).toBe(false);
    rmSync(otherHome, { recursive: true, force: true });
  } finally {
    blocker.close();
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
