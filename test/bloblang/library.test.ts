import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { compile, fromPlain } from "../../lib/bloblang";
import { compileErr, run, runErr } from "./helpers";

describe("bloblang library: numbers and operators", () => {
  it("keeps ints and floats apart", () => {
    expect(run(`root = [4 / 2, 7 % 3, 2 * 3, 2.0 * 3, "42".number(), 3.7.round(), -2.5.round()]`)).toBe(
      "[2,1,6,6,42,4,-3]",
    );
    expect(compile(`root = 4 / 2`).exec({}).value).toBe(2);
    expect(compile(`root = 4 * 2`).exec({}).value).toBe(8n);
    expect(run(`root = 9223372036854775807 + 1`)).toBe("-9223372036854775808");
  });

  it("compares asymmetrically like V1", () => {
    expect(run(`root = [true == 1, 1 == true, 5 == 5.0, "5" == 5, null == null, null == false]`)).toBe(
      "[true,false,true,false,true,false]",
    );
    expect(runErr(`root = this.a > this.b`, { a: true, b: false })).toContain("cannot compare types bool");
  });

  it("coerces with number/int/uint helpers and reports range errors", () => {
    expect(run(`root = ["12".int64(), 3.0.int32(), "7".uint32(), 1.5.float64()]`)).toBe("[12,3,7,1.5]");
    expect(runErr(`root = 3000000000.int32()`)).toContain("too large to be cast as a 32-bit signed integer");
    expect(runErr(`root = this.x.number()`, { x: "abc" })).toContain(
      `strconv.ParseFloat: parsing "abc": invalid syntax`,
    );
    expect(run(`root = [1, 5, 3].max() + [1, 2].sum()`)).toBe("8");
    expect(run(`root = [-5.abs(), (0 - 5).abs(), 2.pow(10), 255.bitwise_and(15)]`)).toBe("[-5,5,1024,15]");
  });
});

describe("bloblang library: Go width numerics", () => {
  it("keeps uint64 arithmetic unsigned and sanitizes narrower widths like Go", () => {
    expect(run(`root = "18446744073709551614".uint64() + 1.uint64()`)).toBe("18446744073709551615");
    expect(run(`root = 0.uint64() - 1.uint64()`)).toBe("18446744073709551615");
    expect(compile(`root = 5.int32() + 1`).exec({}).value).toBe(6n);
    expect(run(`root = [5.int32().type(), 1.1.float32().string(), 3.uint64() == 3]`)).toBe(
      `["number","1.1",true]`,
    );
    expect(runErr(`root = "-1".uint64()`)).toContain("invalid syntax");
  });
});

describe("bloblang library: strings", () => {
  it("transforms and inspects strings", () => {
    expect(
      run(
        `root = ["Ab".uppercase(), "Ab".lowercase(), "  x ".trim(), "xxhixx".trim("x"), "the cat".capitalize()]`,
      ),
    ).toBe(`["AB","ab","x","hi","The Cat"]`);
    expect(run(`root = ["a,b,,c".split(","), ["a", "b"].join("-"), "héllo".length(), "abc".reverse()]`)).toBe(
      `[["a","b","","c"],"a-b",6,"cba"]`,
    );
    expect(
      run(
        `root = ["foobar".has_prefix("foo"), "foobar".trim_suffix("bar"), "hello".index_of("l"), "ab".repeat(3)]`,
      ),
    ).toBe(`[true,"foo",2,"ababab"]`);
    expect(run(`root = "%s is %d years and %.1f%% done %v".format("bob", 30, 99.5, [1, "a"])`)).toBe(
      `"bob is 30 years and 99.5% done [1 a]"`,
    );
    expect(compileErr(`root = "x".repeat(-1)`).message).toContain("count");
  });

  it("supports regular expressions with Go syntax", () => {
    expect(run(`root = "a1b22".re_find_all("[0-9]+")`)).toBe(`["1","22"]`);
    expect(run(`root = "john smith".re_replace_all("(?P<first>\\\\w+) (\\\\w+)", "$2, \${first}")`)).toBe(
      `"smith, john"`,
    );
    expect(run(`root = "2020-01".re_find_object("(?P<y>\\\\d+)-(?P<m>\\\\d+)")`)).toBe(
      `{"0":"2020-01","m":"01","y":"2020"}`,
    );
    expect(run(`root = "ABC".re_match("(?i)^abc$")`)).toBe("true");
  });

  it("encodes, decodes and hashes", () => {
    expect(run(`root = "hello".encode("base64")`)).toBe(`"aGVsbG8="`);
    expect(run(`root = "aGVsbG8=".decode("base64").string()`)).toBe(`"hello"`);
    expect(run(`root = "hi".encode("hex") + "/" + "6869".decode("hex").string()`)).toBe(`"6869/hi"`);
    expect(runErr(`root = "!!!".decode("base64")`)).toContain("EOF");
    expect(run(`root = "abc".hash("sha256").encode("hex")`)).toBe(
      `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`,
    );
    expect(run(`root = "abc".hash("hmac_sha1", "key").encode("hex")`)).toBe(
      `"${createHmac("sha1", "key").update("abc").digest("hex")}"`,
    );
    expect(run(`root = "<a&b>".escape_html() + " " + "a b&c".escape_url_query()`)).toBe(
      `"&lt;a&amp;b&gt; a+b%26c"`,
    );
  });

  it("parses and formats JSON, YAML and CSV", () => {
    expect(run(`root = "{\\"a\\":1}".parse_json().a.type()`)).toBe(`"number"`);
    expect(compile(`root = "{\\"a\\":1}".parse_json().a`).exec({}).value).toBe(1);
    expect(compile(`root = "{\\"a\\":1}".parse_json(use_number: true).a`).exec({}).value).toBe(1n);
    expect(run(`root = {"b": "<", "a": [1]}.format_json(no_indent: true).string()`)).toBe(
      `"{\\"a\\":[1],\\"b\\":\\"\\\\u003c\\"}"`,
    );
    expect(run(`root = [].format_json().string()`)).toBe(`"null"`);
    expect(run(`root = "a: 1\\nb: [x, 2.5]".parse_yaml()`)).toBe(`{"a":1,"b":["x",2.5]}`);
    expect(run(`root = "name,age\\nbob,3".parse_csv()`)).toBe(`[{"age":"3","name":"bob"}]`);
  });
});

describe("bloblang library: structures", () => {
  it("maps, filters and folds", () => {
    expect(run(`root = [1, 2, 3].map_each(x -> if x == 2 { deleted() } else { x * 10 })`)).toBe("[10,30]");
    expect(run(`root = [1, 2].map_each(x -> nothing())`)).toBe("[1,2]");
    expect(run(`root = {"a": 1, "b": 2}.map_each(kv -> kv.value + 1)`)).toBe(`{"a":2,"b":3}`);
    expect(run(`root = [1, 2, 3, 4].filter(x -> x % 2 == 0)`)).toBe("[2,4]");
    expect(run(`root = [1, 2, 3].fold(0, item -> item.tally + item.value)`)).toBe("6");
    expect(run(`root = [[1], [2, [3]]].flatten()`)).toBe("[1,2,[3]]");
    expect(run(`root = [[3, 1, 2].sort(), [3, 1, 2].sort(left > right)]`)).toBe("[[1,2,3],[3,2,1]]");
    expect(run(`root = [{"n": "b"}, {"n": "a"}].sort_by(x -> x.n).map_each(x -> x.n)`)).toBe(`["a","b"]`);
    expect(run(`root = [1, 1, "a", "a", 2.0, 2].unique()`)).toBe(`[1,"a",2]`);
    expect(run(`root = [[]].any(x -> true) && ![].all(x -> true)`)).toBe("true");
  });

  it("reads and reshapes objects", () => {
    expect(run(`root = this.keys()`, { b: 1, a: 2 })).toBe(`["a","b"]`);
    expect(run(`root = this.key_values()`, { b: 1, a: 2 })).toBe(
      `[{"key":"a","value":2},{"key":"b","value":1}]`,
    );
    expect(run(`root = this.without("a.b", "c")`, { a: { b: 1, x: 2 }, c: 3, d: 4 })).toBe(
      `{"a":{"x":2},"d":4}`,
    );
    expect(run(`root = {"a": 1}.merge({"a": 2, "b": 3})`)).toBe(`{"a":[1,2],"b":3}`);
    expect(run(`root = {"a": {"x": 1}}.assign({"a": {"y": 2}})`)).toBe(`{"a":{"x":1,"y":2}}`);
    expect(run(`root = this.get("a.b") + this.exists("a.c").string()`, { a: { b: "v" } })).toBe(`"vfalse"`);
    expect(run(`root = {"a": {"b": [1]}}.collapse()`)).toBe(`{"a.b.0":1}`);
    expect(run(`root = [[1, 2, 3].slice(1), [1, 2, 3].slice(0, -1)]`)).toBe("[[2,3],[1,2]]");
    expect(runErr(`root = [1].index(4)`)).toContain("index '4' was out of bounds for array size: 1");
  });

  it("handles errors with catch, or and throw", () => {
    expect(run(`root = this.a.uppercase().catch("fallback")`)).toBe(`"fallback"`);
    expect(run(`root = this.a.uppercase().catch(this)`, { a: 1 })).toBe(
      `"expected string value, got number from field \`this.a\` (1)"`,
    );
    expect(run(`root = this.a.or("default")`)).toBe(`"default"`);
    expect(run(`root = deleted().catch("x").type()`)).toBe(`"delete"`);
    expect(runErr(`root = throw("custom failure")`)).toBe("failed assignment (line 1): custom failure");
    expect(runErr(`root = this.apply("missing")`)).toContain("map missing was not found");
  });

  it("works with metadata and variables", () => {
    expect(run(`meta topic = "t"\nroot.t = @topic\nroot.all = @`, null, { x: "1" })).toBe(
      `{"all":{"topic":"t","x":"1"},"t":"t"}`,
    );
    expect(run(`let a = 2\nlet b = $a * 3\nroot = $b`)).toBe("6");
    expect(runErr(`root = $nope`)).toContain("variable 'nope' undefined");
    expect(runErr(`meta = 5`)).toContain("setting root meta object requires object value, received: int64");
  });
});

describe("bloblang library: timestamps", () => {
  it("parses and formats Go layouts", () => {
    const m = `root = "2020-03-04T05:06:07.5+02:00".ts_parse("2006-01-02T15:04:05Z07:00")`;
    expect(run(`${m}.ts_format("Mon, 02 Jan 2006 15:04:05.000 -0700")`)).toBe(
      `"Wed, 04 Mar 2020 05:06:07.500 +0200"`,
    );
    expect(run(`${m}.ts_unix()`)).toBe("1583291167");
    expect(run(`${m}.ts_tz("UTC").ts_format("2006-01-02 15:04:05")`)).toBe(`"2020-03-04 03:06:07"`);
    expect(run(`root = 1583291167.ts_format("2006-01-02T15:04:05Z07:00", "America/New_York")`)).toBe(
      `"2020-03-03T22:06:07-05:00"`,
    );
    expect(
      run(`root = "2020-01-31".ts_parse("2006-01-02").ts_add_iso8601("P1M").ts_format("2006-01-02")`),
    ).toBe(`"2020-03-02"`);
    expect(
      run(
        `root = "2021-01-01T00:00:00Z".ts_sub("2020-12-31T23:00:00Z".ts_parse("2006-01-02T15:04:05Z07:00"))`,
      ),
    ).toBe("3600000000000");
    expect(run(`root = "10/03/2021".ts_strptime("%d/%m/%Y").ts_strftime("%Y-%m-%d")`)).toBe(`"2021-03-10"`);
    expect(runErr(`root = "nope".ts_parse("2006-01-02")`)).toContain(`parsing time "nope"`);
    expect(compile(`root = now()`).exec({}).value).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(run(`root = "1h30m".parse_duration()`)).toBe("5400000000000");
    expect(
      typeof compile(`root = "2020-01-01T00:00:00Z".ts_parse("2006-01-02T15:04:05Z07:00")`).exec({
        value: fromPlain(null),
      }).value,
    ).toBe("object");
  });
});
