import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig, runConfigTests, startStream } from "../../lib/engine";
import { quietLogger, readLines, tempDir } from "./helpers";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

describe("Benthos documentation configs (fixtures/streams)", () => {
  const configs = readdirSync(join(fixtures, "streams")).filter((f) => /^[a-z_]+\.yaml$/.test(f));
  for (const file of configs) {
    it(file, async () => {
      const out = join(tempDir(), "out.txt");
      const env = { ...process.env, FIXTURES: fixtures, OUT: out };
      const s = await startStream(
        loadConfig(readFileSync(join(fixtures, "streams", file), "utf8"), { env }),
        {
          logger: quietLogger,
        },
      );
      await s.done;
      const expected = readLines(join(fixtures, "streams", file.replace(/\.yaml$/, ".expected.jsonl")));
      const got = readLines(out);
      const norm = (l: string) => {
        try {
          return JSON.parse(l);
        } catch {
          return l;
        }
      };
      // Outputs may complete out of order (several outputs, several threads): compare as sets.
      const key = (v: unknown) => JSON.stringify(v);
      expect(got.map(norm).sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
        expected.map(norm).sort((a, b) => key(a).localeCompare(key(b))),
      );
    });
  }
});

describe("config unit tests (runConfigTests)", () => {
  it("runs a _benthos_test.yaml against its config and tests: blocks inside configs", async () => {
    const report = await runConfigTests(join(fixtures, "unit"));
    const summary = report.files.map((f) => ({
      config: f.config.slice(fixtures.length + 1),
      definition: f.definition.slice(fixtures.length + 1),
      tests: f.tests.map((t) => [t.name, t.ok, t.failures]),
      error: f.error,
    }));
    expect(summary).toEqual([
      {
        config: "unit/foo.yaml",
        definition: "unit/foo_benthos_test.yaml",
        tests: [["example test", true, []]],
        error: undefined,
      },
      {
        config: "unit/inline.yaml",
        definition: "unit/inline.yaml",
        tests: [
          ["whole pipeline without the last processor", true, []],
          ["by label, with json_contains", true, []],
        ],
        error: undefined,
      },
      {
        config: "unit/input_procs.yaml",
        definition: "unit/input_procs.yaml",
        tests: [["input processors", true, []]],
        error: undefined,
      },
      {
        config: "unit/mocked.yaml",
        definition: "unit/mocked.yaml",
        tests: [
          ["with the http call mocked", true, []],
          ["mocked by JSON pointer", true, []],
        ],
        error: undefined,
      },
    ]);
    expect(report).toMatchObject({ ok: true, passed: 6, failed: 0 });
  });

  it("reports failing conditions and batch count mismatches", async () => {
    const report = await runConfigTests(join(fixtures, "unit-failing", "wrong.yaml"));
    expect(report.ok).toBe(false);
    expect(report.failed).toBe(2);
    const [first, second] = report.files[0].tests;
    expect(first.failures[0]).toMatch(
      /content_equals: content mismatch[\s\S]*expected: hello[\s\S]*received: HELLO/,
    );
    expect(second.failures[0]).toMatch(/wrong batch count, expected 2, got 1/);
  });

  it("covers Benthos's unit-test format: input_batches, environment, other-file targets, pointer and `-` mocks, error texts, stateful functions, dynamic keys", async () => {
    const report = await runConfigTests(join(fixtures, "unit-benthos"));
    const summary = report.files.map((f) => [
      f.config.slice(fixtures.length + 1),
      f.error,
      f.tests.map((t) => [t.name, t.ok, t.failures]),
    ]);
    expect(summary).toEqual([
      [
        "unit-benthos/batches.yaml",
        undefined,
        [
          ["dedupe across input batches, batch_index and a counter across messages", true, []],
          ["each test starts from fresh resources and state", true, []],
        ],
      ],
      [
        "unit-benthos/env.yaml",
        undefined,
        [
          ["environment reaches variable references and env()", true, []],
          ["without it, the defaults", true, []],
        ],
      ],
      ["unit-benthos/errors.yaml", undefined, [["error messages", true, []]]],
      ["unit-benthos/literals.yaml", undefined, [["dynamic keys and a named counter", true, []]]],
      [
        "unit-benthos/tests/fragment.yaml",
        undefined,
        [
          ["targets another file, mocking by label", true, []],
          ["mocks by JSON pointer, and `-` appends a processor", true, []],
          ["one processor of another file by pointer", true, []],
        ],
      ],
    ]);
    // The environment was only set while each test's config was built.
    expect(process.env.REEF_FIXTURE_GREETING).toBeUndefined();
    expect(report).toMatchObject({ ok: true, passed: 9, failed: 0 });
  });

  it("words failures as benthos test does", async () => {
    const report = await runConfigTests(join(fixtures, "unit-failing", "messages.yaml"));
    expect(report.files[0].tests.map((t) => t.failures)).toEqual([
      ["unexpected batch: [B]"],
      [
        "mismatch of output batch 0 message counts, expected 1, got 2",
        "batch 0 message 0: bloblang: bloblang expression was false",
        "batch 0 message 0: content_matches: pattern mismatch\n   pattern: ^[a-z]+$\n  received: X",
        "batch 0 message 0: metadata_equals: metadata key 'missing' expected but not found",
        "unexpected message from batch 0: Y",
      ],
    ]);
  });
});
