// The contracts modules share through lib/model: the runner's reports and the one config check.
import { describe, expect, it } from "vitest";
import {
  encodeRunnerState,
  formatFatalLine,
  parseConfigYaml,
  parseFatalLine,
  parseRunnerState,
} from "../../lib/model";

describe("runner state file", () => {
  it("reads back what the runner writes, stamped with the time", () => {
    const at = new Date("2030-01-02T03:04:05.000Z");
    const text = encodeRunnerState({ state: "running", engine: "builtin", pid: 42 }, at);
    expect(parseRunnerState(text)).toEqual({
      state: "running",
      engine: "builtin",
      pid: 42,
      at: at.toISOString(),
    });
    const failed = {
      state: "failed",
      exitCode: 3,
      error: { code: "ENGINE_FAILED", message: "boom" },
    } as const;
    expect(parseRunnerState(encodeRunnerState(failed))).toMatchObject(failed);
  });

  it("treats a half-written, foreign or malformed file as not written", () => {
    expect(parseRunnerState('{"state":"runn')).toBeNull();
    expect(parseRunnerState("")).toBeNull();
    expect(parseRunnerState(JSON.stringify({ state: "dancing" }))).toBeNull();
    // a failed state without its error would leave the status without a reason
    expect(parseRunnerState(JSON.stringify({ state: "failed", exitCode: 1 }))).toBeNull();
  });

  it("the fatal line round-trips", () => {
    const error = { code: "DIGEST_MISMATCH", message: "config p/1 has digest x" };
    expect(parseFatalLine(`2030-01-01 ${formatFatalLine(error)}`)).toEqual(error);
  });
});

describe("config check", () => {
  it("accepts a mapping and returns it", () => {
    expect(parseConfigYaml("config", "input:\n  generate: {}\n")).toEqual({ input: { generate: {} } });
  });

  it("refuses YAML errors and non-mappings with INVALID_CONFIG and where", () => {
    expect(() => parseConfigYaml("config of p", "input: [unclosed\n")).toThrow(
      expect.objectContaining({
        code: "INVALID_CONFIG",
        message: expect.stringMatching(/^config of p is not valid YAML: \d+:\d+: /),
      }),
    );
    for (const text of ["- a list", "just a string", ""]) {
      expect(() => parseConfigYaml("config of p", text)).toThrow(
        expect.objectContaining({
          code: "INVALID_CONFIG",
          message: expect.stringMatching(/must be a YAML mapping/),
        }),
      );
    }
  });

  it("an alias bomb is refused by the library's limit, not expanded", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++)
      bomb.push(
        `${"b".repeat(i)}: &${"b".repeat(i)} [${Array(10)
          .fill(i === 1 ? "*a" : `*${"b".repeat(i - 1)}`)
          .join(", ")}]`,
      );
    expect(() => parseConfigYaml("config", bomb.join("\n"))).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG" }),
    );
  });
});
