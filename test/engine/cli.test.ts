import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { aliasBomb, readLines, reef, tempDir, waitFor } from "./helpers";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixtures = join(root, "test", "engine", "fixtures");

describe("reef lint / test / run", () => {
  it("lint prints file:line:col: message and exits 1 on errors, 0 when clean", async () => {
    const dir = tempDir();
    const good = join(dir, "good.yaml");
    const bad = join(dir, "bad.yaml");
    writeFileSync(good, "input:\n  generate:\n    mapping: root = 1\noutput:\n  drop: {}\n");
    writeFileSync(bad, "input:\n  generate:\n    mapping: root = 1\n    nope: 1\noutput:\n  kafka: {}\n");
    const failed = await reef(["lint", good, bad]);
    expect(failed.code).toBe(1);
    expect(failed.stdout.trim().split("\n")).toEqual([
      `${bad}:4:5: field nope not recognised`,
      `${bad}:6:3: output kafka is a Benthos component that the built-in engine does not support (run it with a benthos/redpanda-connect binary: REEF_ENGINE)`,
    ]);
    const ok = await reef(["lint", good]);
    expect(ok).toMatchObject({ code: 0, stdout: "" });
  });

  it("lint refuses an alias bomb with an error at its first alias (bounded, no exhausted heap)", async () => {
    const bomb = join(tempDir(), "bomb.yaml");
    writeFileSync(bomb, aliasBomb());
    const r = await reef(["lint", bomb], { timeoutMs: 20_000 });
    expect(r).toMatchObject({
      code: 1,
      stdout: `${bomb}:2:10: yaml: Excessive alias count indicates a resource exhaustion attack\n`,
    });
  });

  it("test runs config unit tests and exits 1 when one fails", async () => {
    const pass = await reef(["test", join(fixtures, "unit")]);
    expect(pass.code).toBe(0);
    expect(pass.stdout).toMatch(/6 passed, 0 failed/);
    const fail = await reef(["test", join(fixtures, "unit-failing")]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toMatch(/✗ expects the wrong content/);
  });

  it("test takes quoted glob patterns and --log <level> (components' logs on stdout), as benthos test", async () => {
    const dir = tempDir();
    for (const name of ["a", "b"]) {
      writeFileSync(
        join(dir, `${name}.yaml`),
        [
          "pipeline:",
          "  processors:",
          `    - log: { level: INFO, message: 'seen by ${name}' }`,
          "    - mapping: root = content().uppercase()",
          "tests:",
          `  - name: upper ${name}`,
          "    input_batch: [{ content: x }]",
          "    output_batches: [[{ content_equals: X }]]",
        ].join("\n") + "\n",
      );
    }
    const quiet = await reef(["test", join(dir, "*.yaml")]);
    expect(quiet).toMatchObject({ code: 0 });
    expect(quiet.stdout).toMatch(/2 passed, 0 failed/);
    expect(quiet.stdout).not.toMatch(/seen by/);
    const logged = await reef(["test", "--log", "info", join(dir, "a*.yaml")]);
    expect(logged).toMatchObject({ code: 0 });
    expect(logged.stdout).toMatch(/level=info msg="seen by a"/);
    expect(logged.stdout).toMatch(/1 passed, 0 failed/);
    const none = await reef(["test", join(dir, "*.yml")]);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/no files match the pattern/);
    const bad = await reef(["test", "--log", "loud", dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--log: 'loud' is not a log level/);
  });

  it("run -c processes stdin to stdout and ends at end of input", async () => {
    const dir = tempDir();
    const cfg = join(dir, "upper.yaml");
    writeFileSync(
      cfg,
      "pipeline:\n  processors:\n    - mapping: root = content().uppercase()\nlogger:\n  level: ERROR\n",
    );
    const r = await reef(["run", "-c", cfg], { stdin: "hello\nworld\n" });
    expect(r).toMatchObject({ code: 0, stdout: "HELLO\nWORLD\n" });
  });

  it("run stops gracefully on SIGTERM, delivering what is in flight", async () => {
    const dir = tempDir();
    const cfg = join(dir, "gen.yaml");
    const out = join(dir, "out.txt");
    writeFileSync(
      cfg,
      `input:\n  generate:\n    interval: 20ms\n    mapping: root = counter()\npipeline:\n  processors:\n    - sleep:\n        duration: 100ms\noutput:\n  file:\n    path: ${out}\n`,
    );
    let pid = 0;
    const done = reef(["run", "-c", cfg], { onSpawn: (p) => (pid = p) });
    await waitFor(() => readLines(out).length >= 3, "some output", 20_000);
    process.kill(pid, "SIGTERM");
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/stream stopped/);
    // Messages are consecutive from 1: nothing read was lost on the way out.
    const lines = readLines(out).map(Number);
    expect(lines).toEqual(Array.from({ length: lines.length }, (_, i) => i + 1));
  });
});
