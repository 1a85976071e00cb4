// The interpreter's fast paths (ASCII capitalize, sort of plain strings/numbers, field reads that skip
// hasOwn, clone) give exactly what the general paths give.
import { describe, expect, it } from "vitest";
import { compile, parseJson, toJson } from "../../lib/bloblang";
import { run, runErr } from "./helpers";

/** The general capitalize: the Unicode regex the ASCII fast path stands in for. */
const capitalizeRegex = (s: string) =>
  s.replace(
    /(^|[^\p{L}\p{N}'])(\p{L})(\p{L}*)/gu,
    (_m, pre: string, c: string, rest: string) => pre + c.toUpperCase() + rest.toLowerCase(),
  );

describe("bloblang fast paths", () => {
  it("capitalizes ASCII text as the Unicode rule does", () => {
    const samples = [
      "",
      "ada",
      "ada lovelace",
      "hELLO wORLD",
      "o'neil mcdonald-smith",
      "ab1cd 2ef _gh",
      "  leading and trailing  ",
      "x-y.z/a@b",
      "don't stop",
      "[a]{b}`c`@d",
      "123abc",
    ];
    for (const s of samples)
      expect(run(`root = this.s.capitalize()`, { s })).toBe(JSON.stringify(capitalizeRegex(s)));
    // non-ASCII text takes the regex
    expect(run(`root = this.s.capitalize()`, { s: "élan ĳssel" })).toBe(
      JSON.stringify(capitalizeRegex("élan ĳssel")),
    );
  });

  it("sorts plain strings and numbers as the general comparison does, and fails on mixed arrays", () => {
    expect(run(`root = ["b", "a", "B", "", "ab"].sort()`)).toBe(`["","B","a","ab","b"]`);
    expect(run(`root = [3, 1.5, -2, 1.5, 10].sort()`)).toBe(`[-2,1.5,1.5,3,10]`);
    // equal values of different kinds keep their order (stable), as before
    expect(run(`root = [2, 1, 2.0, 1.0].sort()`)).toBe(`[1,1,2,2]`);
    expect(run(`root = this.sort()`, [1, 1.0])).toBe(`[1,1]`);
    expect(runErr(`root = [1, "a"].sort()`)).toContain(
      "sort element 0: expected string value, got number (1)",
    );
    expect(runErr(`root = ["a", 1].sort()`)).toContain(
      `sort element 0: expected number value, got string ("a")`,
    );
  });

  it("never reads inherited properties through a field", () => {
    expect(
      run(`root = [this.constructor, this.toString, this.__proto__, this.a.hasOwnProperty]`, { a: {} }),
    ).toBe("[null,null,null,null]");
    const v = parseJson(`{"__proto__": {"x": 1}, "constructor": 2}`);
    expect(run(`root = [this.__proto__.x, this.constructor]`, v)).toBe("[1,2]");
    // an assigned copy keeps an own __proto__ key as data
    expect(run(`root.a = this`, v)).toBe(`{"a":{"__proto__":{"x":1},"constructor":2}}`);
  });

  it("copies assigned values so later assignments never change the input", () => {
    const input = { items: [{ sku: "a" }], n: { m: 1 } };
    expect(
      run(
        `root.x = this.items
root.x.0.sku = "b"
root.y = this.n
root.y.m = 2
root.z = [this.items.0.sku, this.n.m]`,
        input,
      ),
    ).toBe(`{"x":[{"sku":"b"}],"y":{"m":2},"z":["a",1]}`);
  });

  it("reads named captures inside nested lambdas", () => {
    expect(run(`root = this.a.map_each(x -> this.b.map_each(y -> x + y))`, { a: [1, 2], b: [10, 20] })).toBe(
      "[[11,21],[12,22]]",
    );
    expect(run(`root = this.a.map_each(x -> x.p.q)`, { a: [{ p: { q: 1 } }, { p: 3 }] })).toBe("[1,null]");
  });

  it("writes JSON as Go does: escapes only where needed, HTML-escaped in format_json, not in message bytes", () => {
    const v = parseJson(`{"b":"x<y>&z \\"q\\" \\\\ \\u0001 \\u2028 é","a":[1,2.5,"plain",{}],"c":"\\ud800"}`);
    expect(toJson(v)).toBe(
      `{"a":[1,2.5,"plain",{}],"b":"x<y>&z \\"q\\" \\\\ \\u0001 \\u2028 é","c":"\ufffd"}`,
    );
    const formatted = compile(`root = this.format_json(no_indent: true).string()`).exec({ value: v }).value;
    expect(formatted).toBe(
      `{"a":[1,2.5,"plain",{}],"b":"x\\u003cy\\u003e\\u0026z \\"q\\" \\\\ \\u0001 \\u2028 é","c":"\ufffd"}`,
    );
  });
});
