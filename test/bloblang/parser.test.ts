import { describe, expect, it } from "vitest";
import { compileErr, run, runErr } from "./helpers";

describe("bloblang parser", () => {
  it("parses assignments to root, nested paths, quoted segments and legacy bare paths", () => {
    expect(run(`root.a.b = 1\nroot."c.d" = 2\ne.f = 3`)).toBe(`{"a":{"b":1},"c.d":2,"e":{"f":3}}`);
    expect(run(`this.foo = "bar"`)).toBe(`{"this":{"foo":"bar"}}`);
  });

  it("treats a sole bare expression as root = …", () => {
    expect(run(`this.foo.uppercase()`, { foo: "x" })).toBe(`"X"`);
    expect(compileErr(`this.foo\nroot = 1`).message).toContain("shorthand for `root = this.foo`");
  });

  it("requires whitespace around statement =", () => {
    expect(compileErr(`root.a=1`).message).toContain("expected whitespace");
    expect(compileErr(`let x=5`).message).toContain("expected whitespace");
  });

  it("reports compile errors with line and column", () => {
    const e = compileErr(`root.a = 1\nroot.b = this.foo.nope()`);
    expect(e.code).toBe("BLOBLANG_COMPILE");
    expect(e.message).toMatch(/^line 2 char \d+: unrecognised method 'nope'/);
  });

  it("reports parse errors with Go's expectations", () => {
    expect(compileErr(``).message).toBe("line 1 char 1: expected import, map, or assignment");
    expect(compileErr(`foo = bar bar = baz`).message).toBe("line 1 char 11: expected line break");
    expect(compileErr(`foo wat bar`).message).toBe("line 1 char 5: expected =");
    expect(compileErr(`foo = blah.`).message).toBe("line 1 char 12: required: expected method or field path");
    expect(compileErr(`let = blah`).message).toBe("line 1 char 5: required: expected variable name");
    expect(compileErr(`root = `).message).toBe("line 1 char 8: expected query");
    expect(compileErr(`let foo = bar\n!foo = bar`).message).toBe(
      "line 2 char 1: expected import, map, or assignment",
    );
  });

  it("follows V1 precedence: | binds like *, && and || share a level", () => {
    expect(run(`root = 1 + null | 2`)).toBe("3");
    expect(run(`root = true || false && false`)).toBe("false");
    expect(run(`root = 2 + 3 * 4 - 6 / 2`)).toBe("11");
  });

  it("accepts newlines after binary operators and dots but not before them", () => {
    expect(run(`root = 1 +\n  2`)).toBe("3");
    expect(run(`root = this.a.\n  b`, { a: { b: 1 } })).toBe("1");
    expect(() => run(`root = 1\n  + 2`)).toThrow();
    expect(() => run(`root = this.a\n  .b`, { a: { b: 1 } })).toThrow();
  });

  it("parses literals: ints, floats, triple-quoted raw strings, escapes, arrays, objects", () => {
    expect(run(`root = [1, 2.5, "a\\tb", """x\\ny""", null, true, {"k": [ ]},]`)).toBe(
      `[1,2.5,"a\\tb","x\\\\ny",null,true,{"k":[]}]`,
    );
    expect(compileErr(`root = -9223372036854775808`).message).toContain("value out of range");
    expect(compileErr(`root = "\\/"`).message).toContain("failed to unescape");
    expect(compileErr(`root = {5: 1}`).message).toContain("object keys must be strings, received: int64");
  });

  it("supports dynamic object keys and legacy bare-ident keys", () => {
    expect(run(`root = {("k" + "1"): 1, a: 2}`, { a: "dyn" })).toBe(`{"dyn":2,"k1":1}`);
  });

  it("folds literal arithmetic at compile time", () => {
    expect(compileErr(`root = 5 / 0`).message).toContain("attempted to divide by zero");
    expect(compileErr(`root = "a" + 1`).message).toContain("cannot add types string");
    expect(run(`root = null | "fallback"`)).toBe(`"fallback"`);
  });

  it("supports if/else statements and expressions", () => {
    const m = `if this.n > 1 {\n  root.size = "big"\n} else if this.n == 1 {\n  root.size = "one"\n} else {\n  root.size = "small"\n}`;
    expect(run(m, { n: 5 })).toBe(`{"size":"big"}`);
    expect(run(m, { n: 1 })).toBe(`{"size":"one"}`);
    expect(run(`root.a = 1\nroot.a = if false { 2 }`)).toBe(`{"a":1}`);
    expect(runErr(`if null { root = 1 }`)).toContain("resolved to a non-boolean value");
  });

  it("supports match with and without subject, literal and boolean patterns", () => {
    expect(run(`root = match this.t { "a" => 1, "b" => 2, _ => 0 }`, { t: "b" })).toBe("2");
    expect(run(`root = match {\n  this.x > 5 => "big"\n  _ => "small"\n}`, { x: 9 })).toBe(`"big"`);
    expect(
      run(`root = match this.u { this.name == "al" => this.email }`, { u: { name: "al", email: "e" } }),
    ).toBe(`"e"`);
  });

  it("supports lambdas, named captures and context rebinding", () => {
    expect(run(`root = this.xs.map_each(x -> x + this.k)`, { xs: [1, 2], k: 10 })).toBe("[11,12]");
    expect(run(`root = this.xs.map_each(this + 1)`, { xs: [1, 2] })).toBe("[2,3]");
    expect(run(`root = this.a.(v -> v.b + v.c)`, { a: { b: 1, c: 2 } })).toBe("3");
    expect(compileErr(`root = [[1]].map_each(x -> x.map_each(x -> x))`).message).toContain("shadow");
  });

  it("supports named arguments and rejects mixing", () => {
    expect(run(`root = range(start: 0, stop: 3)`)).toBe("[0,1,2]");
    expect(compileErr(`root = range(0, stop: 3)`).message).toContain(
      "cannot mix named and nameless arguments",
    );
  });

  it("supports maps, apply and imports", () => {
    expect(run(`map inc {\n  root = this + 1\n}\nroot = 1.apply("inc").apply("inc")`)).toBe("3");
    expect(compileErr(`map m {\n  meta x = 1\n}`).message).toContain("not allowed");
  });
});
