import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expandEnv } from "../../lib/engine";
import { chooseEngine } from "../../lib/runner";
import { reefOnlyComponents } from "../../lib/engine";
import { openTestStore, waitFor, type TestStore } from "../helpers/nats";
import { FAKE_ENGINE } from "../helpers/pipelines";

let t: TestStore;
let dir: string;
beforeAll(async () => {
  t = await openTestStore();
  dir = mkdtempSync(join(tmpdir(), "reef-runner-test-"));
  await t.store.putConfig(
    "p",
    "1",
    new TextEncoder().encode(
      'input:\n  label: ${LABEL:fallback}\n  x: ${HOST_NAME}\n  y: ${! meta("kept") }\n',
    ),
  );
});
afterAll(() => t.close());

interface RunResult {
  code: number | null;
  stderr: string;
  state: Record<string, unknown> | null;
}

function runRunner(
  env: Record<string, string>,
  opts: { onStart?: (pid: number) => void } = {},
): Promise<RunResult> {
  const stateFile = join(dir, `state-${Math.random()}.json`);
  const child = spawn(process.execPath, [resolve("dist/runner.mjs")], {
    env: {
      PATH: process.env.PATH!,
      ...t.env,
      REEF_RUNNER_STATE_FILE: stateFile,
      FAKE_ENGINE_DIR: dir,
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  opts.onStart?.(child.pid!);
  return new Promise((res) =>
    child.on("exit", (code) => {
      let state = null;
      try {
        state = JSON.parse(readFileSync(stateFile, "utf8"));
      } catch {
        /* not written */
      }
      res({ code, stderr, state });
    }),
  );
}

const base = { PIPELINE_ID: "p", PIPELINE_VERSION: "1", PIPELINE_REPLICA: "0", REEF_ENGINE: FAKE_ENGINE };

describe("runner", () => {
  it("fetches the config, expands ${VAR} and ${VAR:default} (not ${! }), runs the engine; SIGTERM stops it with 0", async () => {
    let pid = 0;
    const done = runRunner({ ...base, HOST_NAME: "box1" }, { onStart: (p) => (pid = p) });
    const config = await waitFor(() => {
      try {
        return readFileSync(join(dir, "p.0.yaml"), "utf8");
      } catch {
        return null;
      }
    }, "the engine to start");
    expect(config).toContain("label: fallback");
    expect(config).toContain("x: box1");
    expect(config).toContain('${! meta("kept") }');
    process.kill(pid, "SIGTERM");
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.state).toMatchObject({ state: "exited", exitCode: 0 });
  });

  it("a Benthos binary runs the config expanded once, by the built-in engine's rules", async () => {
    const config = [
      "a: $${HOST_NAME}", //                 reef's escape: literal
      "b: ${{HOST_NAME}}", //                Benthos's escape: literal
      "c: ${TRICKY}", //                     a value is not expanded again
      "d: ${EMPTY}", //                      set but empty: ""
      "e: ${MULTI}", //                      a newline in a value becomes backslash-n
      'f: ${UNSET:${! meta("x") }}', //      a default may hold an interpolation
      "g: ${HOST_NAME}",
      "",
    ].join("\n");
    await t.store.putConfig("env", "1", new TextEncoder().encode(config));
    const env = { HOST_NAME: "box1", TRICKY: "p${HOST_NAME}q", EMPTY: "", MULTI: "l1\nl2" };
    let pid = 0;
    const done = runRunner({ ...base, PIPELINE_ID: "env", ...env }, { onStart: (p) => (pid = p) });
    const seen = await waitFor(() => {
      try {
        return readFileSync(join(dir, "env.0.yaml"), "utf8");
      } catch {
        return null;
      }
    }, "the engine to start");
    process.kill(pid, "SIGTERM");
    expect((await done).code).toBe(0);
    expect(seen).toBe(
      [
        "a: ${HOST_NAME}",
        "b: ${HOST_NAME}",
        "c: p${HOST_NAME}q",
        "d: ",
        "e: l1\\nl2",
        'f: ${! meta("x") }',
        "g: box1",
        "",
      ].join("\n"),
    );
    // …which is what the built-in engine parses.
    expect(expandEnv(config, env)).toEqual({ text: seen, missing: [] });
  });

  it("an unset variable without a default is INVALID_CONFIG before any engine starts", async () => {
    await t.store.putConfig(
      "unset",
      "1",
      new TextEncoder().encode("input:\n  label: x\nb: ${NOT_SET_ANYWHERE}\n"),
    );
    for (const engine of [FAKE_ENGINE, "builtin"]) {
      // (an engine that starts after all exits at once, so the test fails rather than hangs)
      const r = await runRunner({
        ...base,
        PIPELINE_ID: "unset",
        REEF_ENGINE: engine,
        FAKE_ENGINE_EXIT: "0",
      });
      expect(r.code).toBe(1);
      expect(r.state).toMatchObject({
        state: "failed",
        error: { code: "INVALID_CONFIG", message: expect.stringContaining("NOT_SET_ANYWHERE") },
      });
    }
    expect(existsSync(join(dir, "unset.0.yaml"))).toBe(false);
  });

  it("propagates the engine's exit code", async () => {
    const r = await runRunner({ ...base, HOST_NAME: "box1", FAKE_ENGINE_EXIT: "3" });
    expect(r.code).toBe(3);
    expect(r.state).toMatchObject({ state: "failed", exitCode: 3, error: { code: "ENGINE_FAILED" } });
  });

  it("refuses a config whose digest is not the one the execution was labelled with", async () => {
    const r = await runRunner({ ...base, PIPELINE_DIGEST: "0".repeat(64) });
    expect(r.code).toBe(1);
    expect(r.state).toMatchObject({ state: "failed", error: { code: "DIGEST_MISMATCH" } });
    expect(r.stderr).toMatch(/reef-runner: fatal \{"code":"DIGEST_MISMATCH"/);
  });

  it("says CONFIG_NOT_FOUND when the version has no config", async () => {
    const r = await runRunner({ ...base, PIPELINE_VERSION: "404" });
    expect(r.state).toMatchObject({ state: "failed", error: { code: "CONFIG_NOT_FOUND" } });
  });

  it("says ENGINE_NOT_FOUND for an engine path that is not executable", async () => {
    const r = await runRunner({ ...base, REEF_ENGINE: "/nonexistent/benthos" });
    expect(r.code).toBe(1);
    expect(r.state).toMatchObject({ state: "failed", error: { code: "ENGINE_NOT_FOUND" } });
  });

  it("requires its identity in the environment", async () => {
    const r = await runRunner({ PIPELINE_ID: "", REEF_ENGINE: FAKE_ENGINE });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/PIPELINE_ID and PIPELINE_VERSION/);
  });
});

describe("engine choice (REEF_ENGINE)", () => {
  it("auto prefers a benthos-compatible binary on PATH, else the built-in engine", () => {
    const bin = mkdtempSync(join(tmpdir(), "reef-bin-"));
    expect(chooseEngine({ REEF_ENGINE: "auto", PATH: bin })).toEqual({ kind: "builtin" });
    const fake = join(bin, "redpanda-connect");
    writeFileSync(fake, "#!/bin/sh\n");
    chmodSync(fake, 0o755);
    expect(chooseEngine({ PATH: bin })).toEqual({ kind: "binary", path: fake });
    expect(chooseEngine({ REEF_ENGINE: "builtin", PATH: bin })).toEqual({ kind: "builtin" });
    expect(chooseEngine({ REEF_ENGINE: fake })).toEqual({ kind: "binary", path: fake });
    // A config with a reef-only component (postgres_notify) runs on the built-in engine under auto only.
    const reefOnly = reefOnlyComponents(
      "input:\n  postgres_notify: { dsn: 'postgres://h/db', tables: [t] }\n",
    );
    expect(reefOnly).toEqual(["input postgres_notify"]);
    expect(chooseEngine({ PATH: bin }, { reefOnly })).toEqual({ kind: "builtin" });
    expect(chooseEngine({ REEF_ENGINE: fake }, { reefOnly })).toEqual({ kind: "binary", path: fake });
    expect(chooseEngine({ PATH: bin }, { reefOnly: reefOnlyComponents("input:\n  stdin: {}\n") })).toEqual({
      kind: "binary",
      path: fake,
    });
  });
});
