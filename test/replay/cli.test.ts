// `reef events`, `reef events verify` and `reef replay` as users run them: the built CLI
// (`node dist/reef.mjs`, built by `npm run build`) against real NATS, a process executor world,
// serverless-offline for --live and `serverless invoke local` for exported files.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, killGroup, startOffline } from "../../lib/local";
import { readEvents } from "../../lib/store";
import { waitFor } from "../helpers/nats";
import {
  openProcessWorld,
  putConfig,
  putDefinition,
  sampleConfig,
  type ProcessWorld,
} from "../helpers/pipelines";
import { changeEventFor, fakeRecord, handleAndRecord } from "./helpers";
import { appendEvent } from "../../lib/store";
import { natsHandles } from "../../lib/store/internal";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/reef.mjs");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function reef(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;

let w: ProcessWorld;
let env: Record<string, string>;
beforeAll(async () => {
  if (!existsSync(CLI) || !readFileSync(CLI, "utf8").includes("--from-history <id>")) {
    throw new Error("dist/reef.mjs is missing or stale: run `npm run build` first (npm test does)");
  }
  w = await openProcessWorld({ REEF_EXECUTOR: "process" });
  env = { ...w.env, NO_COLOR: "1" };
});
afterAll(() => w?.destroy());

async function change(id: string, def: Record<string, unknown> | "delete") {
  if (def === "delete") await w.store.deleteDefinition(id);
  else await putDefinition(w, { id, ...(def as { status: string }) });
  return handleAndRecord(w.deps, await changeEventFor(w.store, id));
}

describe("reef events and reef replay --dry-run", () => {
  let id: string;
  let seqs: number[];
  beforeAll(async () => {
    id = uid("cli");
    await putConfig(w, id, "1", sampleConfig("v1"));
    await putConfig(w, id, "2", sampleConfig("v2"));
    const recorded = [
      await change(id, { status: "published", version: "1" }),
      await change(id, { status: "published", version: "2" }),
      await change(id, { status: "paused", version: "2" }),
      await change(id, { status: "draft", version: "2" }),
      await change(id, { status: "published", version: "2" }), // now: v2 runs
    ];
    seqs = recorded.map((r) => r.seq);
  });

  it("lists the recorded changes oldest first, as a table and as JSON", async () => {
    const table = await reef(["events", "--pipeline", id], env);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^SEQ\s+TIME\s+PIPELINE\s+OP\s+REV\s+BY\s+OUTCOME\s+PHASE\s+DURATION\s+ACTIONS/);
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${seqs[0]}\\s.*${id}\\s+PUT\\s+\\d+\\s+change\\s+ok\\s+running\\s+\\d+ms\\s+start ${id}#0 v1$`,
      ),
    );
    expect(lines[3]).toMatch(/ok\s+stopped\s+\d+ms\s+stop /);

    const json = await reef(["events", "--pipeline", id, "--json"], env);
    const rows = JSON.parse(json.stdout) as { seq: number; phase: string; actions: string[] }[];
    expect(rows.map((r) => r.seq)).toEqual(seqs);
    expect(rows.map((r) => r.phase)).toEqual(["running", "running", "stopped", "absent", "running"]);

    const failed = await reef(["events", "--pipeline", id, "--failed"], env);
    expect(failed.stdout).toMatch(/no recorded events match/);
    const since = await reef(["events", "--pipeline", id, "--since", "1h", "--json"], env);
    expect(JSON.parse(since.stdout)).toHaveLength(5);
    const future = await reef(["events", "--pipeline", id, "--since", "2999-01-01T00:00:00Z", "--json"], env);
    expect(JSON.parse(future.stdout)).toEqual([]);
    const bad = await reef(["events", "--since", "yesterday-ish"], env);
    expect(bad.code).toBe(2);
  });

  it("prints the plan of each step against then and now, and touches nothing", async () => {
    const before = { executions: await w.executor.list(id), status: await w.store.getStatus(id) };
    const run = await reef(["replay", "--pipeline", id, "--seq", `${seqs[0]}..${seqs[3]}`], env);
    expect(run.code).toBe(0);
    const blocks = run.stdout.trim().split("\n\n");
    expect(blocks).toHaveLength(4);
    const ex = `reef-${id}-0`;
    const expected = [
      { def: "published v1", then: `start ${id}#0 v1`, now: `remove ${id}#0 v2 (${ex}); start ${id}#0 v1` },
      { def: "published v2", then: `remove ${id}#0 v1 (${ex}); start ${id}#0 v2`, now: "nothing to do" },
      { def: "paused v2", then: `stop ${id}#0 v2 (${ex})`, now: `stop ${id}#0 v2 (${ex})` },
      { def: "draft v2", then: `remove ${id}#0 v2 (${ex})`, now: `remove ${id}#0 v2 (${ex})` },
    ];
    blocks.forEach((b, i) => {
      expect(b).toContain(`#${seqs[i]}  ${id}  PUT rev`);
      expect(b).toContain(`definition@`);
      expect(b).toContain(expected[i].def);
      expect(b).toMatch(new RegExp(`plan then: ${escape(expected[i].then)}   \\[observed:`));
      expect(b).toMatch(new RegExp(`plan now : ${escape(expected[i].now)}   \\[observed: #0 v2 running\\]`));
      expect(b).not.toContain("note:");
    });
    expect(run.stderr).toContain("replay 4/4");
    expect(await w.executor.list(id)).toEqual(before.executions);
    expect(await w.store.getStatus(id)).toEqual(before.status);

    const json = await reef(["replay", "--seq", String(seqs[1]), "--json"], env);
    const out = JSON.parse(json.stdout) as { mode: string; steps: { then: { actions: string[] } }[] };
    expect(out).toMatchObject({ mode: "dry-run", total: 1, completed: 1, aborted: false });
    expect(out.steps[0].then.actions).toEqual([`remove ${id}#0 v1 (${ex})`, `start ${id}#0 v2`]);
  });

  it("--live --in-process converges the pipeline to its current definition", async () => {
    const run = await reef(["replay", "--live", "--in-process", "--seq", String(seqs[0])], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("live through converge in this process");
    // the event published v1, but the pipeline now wants v2, which already runs
    expect(run.stdout).toMatch(
      /converged \(rev \d+, desired published\) in \d+ms → phase running: nothing to do/,
    );
    expect((await w.executor.list(id)).map((e) => [e.version, e.state])).toEqual([["2", "running"]]);
  });

  it("replays every revision the KV still holds (--from-history)", async () => {
    const run = await reef(["replay", "--from-history", id], env);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split("\n\n")).toHaveLength(5);
    const none = await reef(["replay", "--from-history", uid("never")], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/HISTORY_REMOVED.*holds no revision/);
  });

  it("rejects contradictory options with a usage error", async () => {
    expect((await reef(["replay", "--live", "--export", "/tmp/x"], env)).code).toBe(2);
    expect((await reef(["replay", "--seq", "9..3"], env)).code).toBe(2);
    expect((await reef(["replay", "--stage", "prod"], env)).code).toBe(2);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("reef replay --live through a Lambda endpoint", () => {
  /** A stand-in Lambda Invoke API that holds each call until released: makes Ctrl-C timing exact. */
  async function fakeLambda(
    answer: (n: number) => { status?: number; headers?: Record<string, string>; body: unknown },
  ) {
    const calls: string[] = [];
    const held: (() => void)[] = [];
    let hold = true;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        calls.push(`${req.url} ${body}`);
        const a = answer(calls.length);
        const send = () => {
          res.writeHead(a.status ?? 200, { "content-type": "application/json", ...a.headers });
          res.end(JSON.stringify(a.body));
        };
        if (hold) held.push(send);
        else send();
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    return {
      endpoint: `http://127.0.0.1:${port}`,
      calls,
      release() {
        hold = false;
        for (const s of held.splice(0)) s();
      },
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  function spawnReef(args: string[]) {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    const out = { stdout: "", stderr: "" };
    child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    return { child, out, exited };
  }

  it("Ctrl-C stops cleanly between two events", async () => {
    const id = uid("sigint");
    for (let i = 1; i <= 3; i++) await appendEvent(w.store, fakeRecord(id, i));
    const lambda = await fakeLambda(() => ({
      body: {
        id,
        revision: 3,
        operation: "PUT",
        desired: "draft",
        observed: [],
        actions: [],
        phase: "absent",
        error: null,
      },
    }));
    try {
      const p = spawnReef(["replay", "--live", "--pipeline", id, "--endpoint", lambda.endpoint]);
      await waitFor(() => lambda.calls.length === 1, "the first invocation");
      expect(lambda.calls[0]).toContain(`/functions/reef-dev-converge/invocations`);
      expect(JSON.parse(lambda.calls[0].slice(lambda.calls[0].indexOf(" ") + 1))).toMatchObject({
        key: id,
        revision: 1,
      });
      p.child.kill("SIGINT");
      await waitFor(() => p.out.stderr.includes("stopping after the current step"), "the stop notice");
      lambda.release();
      expect(await p.exited).toBe(130);
      expect(lambda.calls).toHaveLength(1);
      expect(p.out.stdout).toContain("converged (rev 3, desired draft)");
      expect(p.out.stderr).toContain("stopped by Ctrl-C after 1 of 3 change(s)");
    } finally {
      await lambda.close();
    }
  });

  it("reports a function error (FunctionError set on an HTTP 200) as a failed step, exit 1", async () => {
    const id = uid("fnerr");
    await appendEvent(w.store, fakeRecord(id, 1));
    const lambda = await fakeLambda(() => ({
      headers: { "x-amz-function-error": "Unhandled" },
      body: { errorType: "ReefError", errorMessage: "NATS is down" },
    }));
    lambda.release();
    try {
      const run = await reef(["replay", "--live", "--pipeline", id, "--endpoint", lambda.endpoint], env);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /failed after \d+ms: FUNCTION_ERROR: reef-dev-converge failed: ReefError: NATS is down/,
      );
    } finally {
      await lambda.close();
    }
  });
});

describe("the real converge function (serverless-offline, serverless invoke local)", () => {
  const esbuildFolders: string[] = [];
  afterAll(() => {
    for (const f of esbuildFolders) rmSync(join(ROOT, f), { recursive: true, force: true });
  });
  const functionEnv = () => {
    const folder = `.esbuild-replay-${randomBytes(3).toString("hex")}`;
    esbuildFolders.push(folder);
    return {
      ...env,
      REEF_ESBUILD_WORK_FOLDER: folder,
      REEF_ESBUILD_EXCLUDE: "dockerode",
      REEF_OFFLINE_WATCH: ".reef-no-watch",
      REEF_RUNNER_PATH: join(ROOT, "dist/runner.mjs"),
      POWERTOOLS_LOG_LEVEL: "WARN",
      SLS_TELEMETRY_DISABLED: "1",
      SLS_NOTIFICATIONS_MODE: "off",
    };
  };

  it("--live replay of a deleted pipeline's publish event converges to the current state: no resurrection", async () => {
    const id = uid("gone");
    await putConfig(w, id, "1", sampleConfig("v1"));
    const published = await change(id, { status: "published", version: "1" });
    expect(published.record!.result!.phase).toBe("running");
    await change(id, "delete");
    expect(await w.executor.list(id)).toEqual([]);

    const fenv = functionEnv();
    const offline = await startOffline({
      projectDir: ROOT,
      lambdaPort: await freePort(),
      httpPort: await freePort(),
      env: {
        ...fenv,
        REEF_WEBSOCKET_PORT: String(await freePort()),
        REEF_ALB_PORT: String(await freePort()),
      },
      startTimeoutMs: 90_000,
    });
    try {
      const run = await reef(
        ["replay", "--live", "--seq", String(published.seq), "--endpoint", offline.lambdaEndpoint],
        env,
      );
      expect(run.stderr).toContain(
        `replaying 1 change(s) live through reef-dev-converge at ${offline.lambdaEndpoint}`,
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        new RegExp(
          `#${published.seq}  ${id}  PUT rev \\d+\\n  converged \\(rev \\d+, desired deleted\\) in \\d+ms → phase deleted: nothing to do`,
        ),
      );
      expect(await w.executor.list(id)).toEqual([]);
      expect(await w.store.getStatus(id)).toBeNull();
    } finally {
      await offline.stop();
    }
  });

  it("exported files replay with `serverless invoke local`", async () => {
    const id = uid("exp");
    await putConfig(w, id, "1", sampleConfig("v1"));
    await change(id, { status: "published", version: "1" });
    const paused = await change(id, { status: "paused", version: "1" });
    const dir = mkdtempSync(join(tmpdir(), "reef-export-"));
    const run = await reef(["replay", "--pipeline", id, "--export", dir], env);
    expect(run.code).toBe(0);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(run.stdout).toContain(`npx serverless invoke local -f converge -p ${join(dir, files[0])}\n`);
    const event = JSON.parse(readFileSync(join(dir, files[0]), "utf8")) as Record<string, unknown>;
    expect(event).toEqual({
      key: id,
      operation: "PUT",
      revision: expect.any(Number),
      timestamp: expect.any(String),
    });

    // The command a user runs under a debugger, with the project's own serverless.yml; it exits
    // once it printed the result (the handler closes NATS under IS_LOCAL).
    const cli = join(ROOT, "node_modules/osls/bin/serverless.js");
    const child = spawn(
      process.execPath,
      [cli, "invoke", "local", "-f", "converge", "-p", join(dir, files[0])],
      {
        cwd: ROOT,
        env: functionEnv(),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      const code = await Promise.race([
        exited,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`invoke local did not exit in time: ${stderr}${stdout}`)),
            120_000,
          ),
        ),
      ]);
      expect(code, `invoke local failed: ${stderr}${stdout}`).toBe(0);
      // the result is printed pretty (a line that is just "{"), after one-line JSON logs
      const result = JSON.parse(stdout.slice(stdout.search(/^\{$/m))) as Record<string, unknown>;
      // level-triggered: the publish event converges to the current (paused) definition
      expect(result).toMatchObject({
        id,
        revision: paused.record!.event.revision,
        desired: "paused",
        phase: "stopped",
      });
    } finally {
      if (child.exitCode === null) killGroup(child.pid!, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("reef events verify (runs last: it tampers with the stream)", () => {
  it("reports an intact history, then the first broken link of a tampered one (exit 1)", async () => {
    const ok = await reef(["events", "verify"], env);
    expect(ok.stdout).toMatch(/^ok: \d+ chain\(s\), \d+ record\(s\)/);
    expect(ok.code).toBe(0);

    const id = uid("tamper");
    const r1 = await appendEvent(w.store, fakeRecord(id, 1));
    const r2 = await appendEvent(w.store, fakeRecord(id, 2));
    const r3 = await appendEvent(w.store, fakeRecord(id, 3));
    await natsHandles(w.store).jsm.streams.deleteMessage(w.store.names.events, r2.seq);
    const broken = await reef(["events", "verify", "--pipeline", id], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN: first broken link at seq ${r3.seq}`);
    expect(broken.stdout).toContain(`record ${r3.seq} of ${id} follows record ${r2.seq}, which is missing`);
    const json = JSON.parse((await reef(["events", "verify", "--json"], env)).stdout) as { ok: boolean };
    expect(json.ok).toBe(false);
    expect((await readEvents(w.store, { pipeline: id })).map((e) => e.seq)).toEqual([r1.seq, r3.seq]);
  });
});
