import { describe, expect, it } from "vitest";
import {
  BloblangCompileError,
  BloblangError,
  compile,
  compileInterpolation,
  fromPlain,
  parseJson,
  toBytes,
  toJson,
  toPlain,
} from "../../lib/bloblang";

const enc = new TextEncoder();

describe("bloblang public API", () => {
  it("keeps int64 precision through parseJson/toJson", () => {
    const v = parseJson(`{"big":9223372036854775807,"f":1.0,"s":"x"}`);
    expect(toJson(v)).toBe(`{"big":9223372036854775807,"f":1,"s":"x"}`);
    const r = compile(`root.n = this.big - 1\nroot.t = this.f / 2`).exec({ value: v });
    expect(toJson(r.value)).toBe(`{"n":9223372036854775806,"t":0.5}`);
  });

  it("parses content lazily when no value is given", () => {
    const m = compile(`root = this.a + 1`);
    expect(m.exec({ content: enc.encode(`{"a":41}`) }).value).toBe(42n);
    expect(() => m.exec({ content: enc.encode(`nope`) })).toThrow(/parse as json/);
  });

  it("returns deleted and unassigned roots", () => {
    expect(compile(`root = deleted()`).exec({ value: {} }).deleted).toBe(true);
    expect(compile(`meta a = 1`).exec({ value: {} }).value).toBeUndefined();
  });

  it("copies metadata and applies meta assignments", () => {
    const input = { metadata: { keep: "k", drop: "d" } };
    const r = compile(`meta drop = deleted()\nmeta added = @keep + "!"`).exec(input);
    expect(r.metadata).toEqual({ keep: "k", added: "k!" });
    expect(input.metadata).toEqual({ keep: "k", drop: "d" });
  });

  it("mutation mode modifies the input document in place", () => {
    const doc = fromPlain({ a: 1, b: 2 });
    const r = compile(`root.c = this.a + this.b\nroot.a = deleted()`).exec(
      { value: doc },
      { mode: "mutation" },
    );
    expect(toJson(r.value)).toBe(`{"b":2,"c":3}`);
    const m = compile(`root.c = 1`).exec({ value: fromPlain({ a: 1 }) });
    expect(toJson(m.value)).toBe(`{"c":1}`);
  });

  it("exposes the message error to error() and errored(), and reads content lazily", () => {
    const m = compile(`root.e = error()\nroot.failed = errored()`);
    expect(toJson(m.exec({ value: {}, error: "boom" }).value)).toBe(`{"e":"boom","failed":true}`);
    expect(toJson(m.exec({ value: {} }).value)).toBe(`{"e":null,"failed":false}`);
    let reads = 0;
    const input = {
      get content() {
        reads++;
        return enc.encode(`{"a":1}`);
      },
    };
    expect(compile(`root = "static"`).exec(input).value).toBe("static");
    expect(reads).toBe(0);
    expect(compile(`root = this.a`).exec(input).value).toBe(1n);
    expect(reads).toBeGreaterThan(0);
  });

  it("query returns the root value", () => {
    expect(compile(`this.n > 3`).query({ value: fromPlain({ n: 5 }) })).toBe(true);
  });

  it("throws typed errors with codes", () => {
    try {
      compile(`root = `);
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(BloblangCompileError);
      expect((e as BloblangError).code).toBe("BLOBLANG_COMPILE");
    }
    try {
      compile(`root = this.a.uppercase()`).exec({ value: fromPlain({ a: 1 }) });
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(BloblangError);
      expect((e as BloblangError).code).toBe("BLOBLANG_RUNTIME");
      expect((e as Error).message).toBe(
        "failed assignment (line 1): expected string value, got number from field `this.a` (1)",
      );
    }
  });

  it("resolves imports from in-memory files, relative to the importing file", () => {
    const files = {
      "lib/a.blobl": `import "b.blobl"\nmap a {\n  root = this.apply("b") + 1\n}`,
      "lib/b.blobl": `map b {\n  root = this * 2\n}`,
    };
    expect(compile(`import "lib/a.blobl"\nroot = 5.apply("a")`, { files }).exec({}).value).toBe(11n);
  });

  it("renders interpolations, including escapes", () => {
    const i = compileInterpolation(`id=\${! this.id }-\${! meta("k") } $\${!literal} \${{! raw }}`);
    expect(i.isStatic).toBe(false);
    expect(i.render({ value: fromPlain({ id: 7 }), metadata: { k: "v" } })).toBe(
      "id=7-v ${!literal} ${! raw }",
    );
    expect(compileInterpolation("plain $x").isStatic).toBe(true);
    expect(new TextDecoder().decode(i.renderBytes({ value: fromPlain({ id: 1 }), metadata: {} }))).toBe(
      "id=1-null ${!literal} ${! raw }",
    );
  });

  it("converts to bytes and plain values", () => {
    expect(new TextDecoder().decode(toBytes("s"))).toBe("s");
    expect(new TextDecoder().decode(toBytes(fromPlain({ b: 1, a: [true] })))).toBe(`{"a":[true],"b":1}`);
    expect(toPlain(parseJson(`{"a":1,"b":2.5,"c":[9007199254740993]}`))).toEqual({
      a: 1,
      b: 2.5,
      c: [9007199254740993n],
    });
  });
});
