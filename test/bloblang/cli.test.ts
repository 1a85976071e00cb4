import { describe, expect, it } from "vitest";
import { compile } from "../../lib/bloblang";
import { runLine } from "../../lib/cli/commands/blobl";

describe("reef blobl line processing", () => {
  it("prints JSON results, raw strings, and echoes the input when root is not assigned", () => {
    expect(runLine(compile(`root.n = this.n + 1`), `{"n":9223372036854775806}`, {})).toEqual({
      text: `{"n":9223372036854775807}`,
    });
    expect(runLine(compile(`root = this.s.uppercase()`), `{"s":"hi"}`, {})).toEqual({ text: "HI" });
    expect(runLine(compile(`meta x = 1`), `{"b":1,"a":2}`, {})).toEqual({ text: `{"a":2,"b":1}` });
    expect(runLine(compile(`root = content().string().length()`), `raw line`, { raw: true })).toEqual({
      text: "8",
    });
    expect(runLine(compile(`root = this`), `{"a":{"b":[1]}}`, { pretty: true }).text).toBe(
      `{\n  "a": {\n    "b": [\n      1\n    ]\n  }\n}`,
    );
  });

  it("reports per-line errors", () => {
    const r = runLine(compile(`root = this.a.uppercase()`), `not json`, {});
    expect(r.error).toContain("parse as json");
  });
});
