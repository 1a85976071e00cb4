import { describe, expect, it } from "vitest";
import { EngineConfigError, lint, loadConfig } from "../../lib/engine";
import { aliasBomb } from "./helpers";

const errors = (yaml: string, env: NodeJS.ProcessEnv = {}) =>
  lint(yaml, { env }).filter((i) => i.level === "error");

describe("lint", () => {
  it("accepts a valid config and reports nothing", () => {
    const yaml = `
input:
  generate:
    mapping: 'root = {"a": 1}'
    interval: 1s
pipeline:
  threads: 1
  processors:
    - mapping: root = this
output:
  drop: {}
`;
    expect(lint(yaml, { env: {} })).toEqual([]);
  });

  it("reports unknown sections, components and fields with path, line and column", () => {
    const yaml = [
      "input:", //                                  1
      "  generate:", //                             2
      "    mapping: 'root = 1'", //                 3
      "    intervall: 1s", //                       4
      "pipeline:", //                               5
      "  processors:", //                           6
      "    - not_a_processor: {}", //               7
      "output:", //                                 8
      "  drop: {}", //                              9
      "unknown_section: true", //                   10
    ].join("\n");
    const issues = errors(yaml);
    expect(issues).toEqual([
      expect.objectContaining({
        path: "input.generate.intervall",
        line: 4,
        column: 5,
        message: "field intervall not recognised",
      }),
      expect.objectContaining({ path: "pipeline.processors.0.not_a_processor", line: 7, column: 7 }),
      expect.objectContaining({ path: "unknown_section", line: 10, column: 1 }),
    ]);
    expect(issues[1].message).toMatch(/not_a_processor not recognised/);
  });

  it("says plainly when a real Benthos component is not supported", () => {
    const issues = errors(`
input:
  kafka:
    addresses: [localhost:9092]
    topics: [foo]
output:
  drop: {}
`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: "input.kafka", line: 3 });
    expect(issues[0].message).toMatch(/Benthos component that the built-in engine does not support/);
  });

  it("reports mistyped fields and missing required fields", () => {
    const issues = errors(`
input:
  nats:
    subject: [not, a, string]
    prefetch_count: lots
pipeline:
  threads: two
output:
  nats_jetstream:
    urls: [nats://127.0.0.1:4222]
`);
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath["input.nats.subject"]).toBe("expected a string value");
    expect(byPath["input.nats.prefetch_count"]).toBe("expected an integer value");
    expect(byPath["input.nats.urls"]).toBe("field urls is required");
    expect(byPath["pipeline.threads"]).toBe("expected an integer value");
    expect(byPath["output.nats_jetstream.subject"]).toBe("field subject is required");
  });

  it("reports bad Bloblang at the line of the error inside a block mapping", () => {
    const yaml = [
      "pipeline:",
      "  processors:",
      "    - mapping: |",
      "        root = this",
      "        root.x = this.y +",
      "output:",
      "  drop: {}",
    ].join("\n");
    const issues = errors(yaml);
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe("pipeline.processors.0.mapping");
    expect(issues[0].message).toMatch(/failed to parse mapping/);
    expect(issues[0].line).toBeGreaterThanOrEqual(5);
  });

  it("reports bad interpolations and undefined resources", () => {
    const issues = errors(`
pipeline:
  processors:
    - dedupe:
        cache: nope
        key: '\${! this.id '
    - rate_limit:
        resource: missing
output:
  drop: {}
`);
    expect(issues.map((i) => i.path).sort()).toEqual([
      "pipeline.processors.0.dedupe.cache",
      "pipeline.processors.0.dedupe.key",
      "pipeline.processors.1.rate_limit.resource",
    ]);
  });

  it("reports labels used twice", () => {
    const issues = errors(`
pipeline:
  processors:
    - label: a
      mapping: root = this
    - label: a
      mapping: root = this
output:
  drop: {}
`);
    expect(issues).toEqual([expect.objectContaining({ path: "pipeline.processors.1.label", line: 6 })]);
  });

  it("errors on options the engine cannot honour and warns on ones it ignores", () => {
    const issues = lint(
      `
input:
  nats:
    urls: [nats://127.0.0.1:4222]
    subject: a
    tls:
      enabled: true
output:
  drop: {}
tracer:
  jaeger: {}
`,
      { env: {} },
    );
    expect(issues.find((i) => i.path === "input.nats.tls")).toMatchObject({ level: "error" });
    expect(issues.find((i) => i.path === "tracer")).toMatchObject({ level: "warning" });
  });

  it("expands ${VAR} and ${VAR:default}; an unset variable without default is an error", () => {
    const yaml = `
input:
  generate:
    mapping: 'root = "\${GREETING:hello}"'
    count: \${COUNT}
output:
  drop: {}
`;
    const cfg = loadConfig(yaml, { env: { COUNT: "7" } });
    expect(cfg.input.config).toMatchObject({
      mapping: 'root = "hello"',
      count: 7,
      interval: "1s",
      batch_size: 1,
    });
    const issues = errors(yaml);
    expect(issues[0]).toMatchObject({
      line: 5,
      message: "required environment variable COUNT is not set and has no default",
    });
  });

  it("keeps Bloblang interpolations and applies defaults", () => {
    const cfg = loadConfig(`
input:
  label: in
  nats:
    urls: [nats://a:4222]
    subject: 'x.\${! "y" }'
output:
  nats:
    urls: [nats://a:4222]
    subject: 'out.\${! @nats_subject }'
`);
    expect(cfg.input).toMatchObject({
      type: "nats",
      label: "in",
      config: { subject: 'x.${! "y" }', prefetch_count: 524288 },
    });
    expect(cfg.output.config).toMatchObject({ subject: "out.${! @nats_subject }", max_in_flight: 64 });
    expect(cfg.shutdownTimeoutMs).toBe(20_000);
    expect(cfg.buffer.type).toBe("none");
  });

  it("loadConfig throws EngineConfigError with code INVALID_CONFIG and every issue", () => {
    let err: unknown;
    try {
      loadConfig("input:\n  nope: {}\noutput:\n  also_nope: {}\n", { path: "x.yaml" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineConfigError);
    expect((err as EngineConfigError).code).toBe("INVALID_CONFIG");
    expect((err as EngineConfigError).issues).toHaveLength(2);
    expect((err as Error).message).toMatch(/^x\.yaml:2:3: /);
  });

  it("reports YAML syntax errors with their position", () => {
    const at = (yaml: string) => errors(yaml).map((i) => [i.line, i.column, i.message]);
    // An unclosed flow map is noticed where the input ends.
    expect(at("input:\n  generate: {\n")).toEqual([
      [3, 1, expect.stringMatching(/^yaml: Flow map .* end with a }/)],
    ]);
    expect(at("input:\n  generate:\n    mapping: root = 1\ninput:\n  stdin: {}\n")).toEqual([
      [4, 1, "yaml: Map keys must be unique"],
    ]);
    expect(at("output:\n  drop: {}\n  label: x\n    nested: 1\n")[0]).toEqual([
      3,
      10,
      expect.stringMatching(/^yaml: /),
    ]);
    expect(at('input:\n  generate:\n    mapping: "root = 1\n')).toEqual([
      [4, 1, 'yaml: Missing closing "quote'],
    ]);
  });

  it("defaults to stdin → stdout when input and output are absent (as Benthos)", () => {
    const cfg = loadConfig("pipeline:\n  processors: []\n");
    expect(cfg.input.type).toBe("stdin");
    expect(cfg.output.type).toBe("stdout");
  });
});

describe("lint accepts the documented full (advanced) configs of the NATS components", () => {
  const tls = `
    tls:
      enabled: false
      skip_cert_verify: false
      enable_renegotiation: false
      root_cas: ""
      root_cas_file: ""
      client_certs: []
    tls_handshake_first: false
    auth:
      nkey_file: ""
      nkey: ""
      user_credentials_file: ""
      user_jwt: ""
      user_nkey_seed: ""
      user: ""
      password: ""
      token: ""`;
  it("inputs", () => {
    for (const input of [
      `  nats:
    urls: [ nats://127.0.0.1:4222 ]
    max_reconnects: 10
    subject: foo.bar
    queue: q
    auto_replay_nacks: true
    send_ack: true
    nak_delay: 1m
    prefetch_count: 500000${tls}`,
      `  nats_jetstream:
    urls: [ nats://127.0.0.1:4222 ]
    max_reconnects: 10
    queue: q
    subject: foo.>
    durable: d
    stream: S
    bind: false
    create_stream: false
    deliver: all
    ack_wait: 30s
    max_ack_pending: 1024${tls}`,
      `  nats_kv:
    urls: [ nats://127.0.0.1:4222 ]
    max_reconnects: 10
    bucket: b
    key: ">"
    auto_replay_nacks: true
    ignore_deletes: true
    include_history: false
    meta_only: false${tls}`,
    ]) {
      const issues = lint(`input:\n${input}\noutput:\n  drop: {}\n`, { env: {} }).filter(
        (i) => i.level === "error",
      );
      expect(issues).toEqual([]);
    }
  });

  it("outputs", () => {
    const pub = (name: string, maxInFlight: number) => `  ${name}:
    urls: [ nats://127.0.0.1:4222 ]
    max_reconnects: 10
    subject: foo.bar
    headers:
      Content-Type: application/json
    metadata:
      include_prefixes: []
      include_patterns: []
    max_in_flight: ${maxInFlight}${tls}`;
    for (const output of [
      pub("nats", 64),
      pub("nats_jetstream", 1024),
      `  nats_kv:
    urls: [ nats://127.0.0.1:4222 ]
    max_reconnects: 10
    bucket: b
    key: '\${! @k }'
    max_in_flight: 1024${tls}`,
    ]) {
      const issues = lint(`input:\n  generate:\n    mapping: root = 1\noutput:\n${output}\n`, {
        env: {},
      }).filter((i) => i.level === "error");
      expect(issues).toEqual([]);
    }
  });
});

describe("expandEnv", () => {
  it("expands, defaults (defaults may contain colons), escapes $${…} and leaves ${! …} alone", async () => {
    const { expandEnv } = await import("../../lib/engine");
    const r = expandEnv("a: ${A}\nb: ${B:nats://h:4222}\nc: $${A}\nd: ${! @x }\ne: ${MISSING}", { A: "1" });
    expect(r.text).toBe("a: 1\nb: nats://h:4222\nc: ${A}\nd: ${! @x }\ne: ");
    expect(r.missing).toEqual([{ name: "MISSING", line: 5, column: 4 }]);
  });

  it("follows Benthos's rules: ${{…}} escapes, empty values, newlines, defaults holding ${…}", async () => {
    const { expandEnv } = await import("../../lib/engine");
    const env = { E: "", N: "l1\nl2", D: "x.y" };
    const r = expandEnv('${{A}} ${{A:b}} [${E}] [${E:dflt}] ${N} ${UNSET:${!meta("k")}} ${D} ${1.x:ok}', env);
    expect(r).toEqual({ text: '${A} ${A:b} [] [dflt] l1\\nl2 ${!meta("k")} x.y ok', missing: [] });
  });

  it("escapeEnv escapes what a Benthos binary would expand again, or says it cannot", async () => {
    const { escapeEnv } = await import("../../lib/engine");
    // (the runner test checks the round trip through a Benthos-like binary)
    expect(escapeEnv("a: ${X} b: ${X:d} c: $${Y} d: ${! @k }")).toBe(
      "a: ${{X}} b: ${{X:d}} c: $${{Y}} d: ${! @k }",
    );
    expect(escapeEnv("a: ${{X}}")).toBeUndefined();
    expect(escapeEnv("a: ${X:${Y}}")).toBeUndefined();
  });
});

describe("YAML anchors and merge keys", () => {
  it("resolves *aliases and <<: merges before checking", () => {
    const yaml = `
x-nats: &nats
  urls: [ nats://127.0.0.1:4222 ]
input:
  nats:
    <<: *nats
    subject: in
output:
  nats:
    <<: *nats
    subject: out
`;
    // x-nats is not a Benthos section: only that is reported.
    expect(errors(yaml).map((i) => i.path)).toEqual(["x-nats"]);
    const ok = `
input:
  nats: &in
    urls: [ nats://127.0.0.1:4222 ]
    subject: in
output:
  nats:
    <<: *in
    subject: out
`;
    const cfg = loadConfig(ok, { env: {} });
    expect(cfg.output.config).toMatchObject({ urls: ["nats://127.0.0.1:4222"], subject: "out" });
    expect(cfg.input.config).toMatchObject({ subject: "in" });
  });
});

describe("hostile YAML gets an error, not an exhausted heap", () => {
  it("refuses an alias bomb by the yaml library's alias limit, at the first alias", () => {
    expect(errors(aliasBomb())).toEqual([
      {
        path: "",
        line: 2,
        column: 10,
        message: "yaml: Excessive alias count indicates a resource exhaustion attack",
        level: "error",
      },
    ]);
    const err = (() => {
      try {
        loadConfig(aliasBomb(), { env: {} });
      } catch (e) {
        return e as EngineConfigError;
      }
    })();
    expect(err).toBeInstanceOf(EngineConfigError);
    expect(err).toMatchObject({
      code: "INVALID_CONFIG",
      message: expect.stringContaining("Excessive alias"),
    });
  });

  it("caps the nodes that aliases and merge keys add, and refuses an alias inside its own anchor", () => {
    // Within the library's alias count (40 copies) but 40 × 5001 nodes: over the 100,000 cap.
    const wide = `big: &big [${Array(5000).fill("1").join(",")}]\ntests: [${Array(40).fill("*big").join(", ")}]\n`;
    expect(errors(wide)).toContainEqual(
      expect.objectContaining({
        message: "yaml: aliases and merge keys expand the document by more than 100000 nodes",
      }),
    );
    expect(errors("tests: &a [1, *a]\n")).toEqual([
      {
        path: "",
        line: 1,
        column: 15,
        message: "yaml: alias *a is inside the node it refers to",
        level: "error",
      },
    ]);
    expect(errors("input:\n  generate: &g\n    mapping: root = 1\n    <<: *g\n")).toEqual([
      expect.objectContaining({
        line: 4,
        column: 9,
        message: "yaml: alias *g is inside the node it refers to",
      }),
    ]);
  });

  it("says plainly that YAML or a mapping nests too deeply, instead of a stack overflow", () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    expect(errors(`input:\n  stdin: {}\nx: ${deep(20_000)}\n`)).toEqual([
      expect.objectContaining({
        message: "yaml: nested too deeply to parse: it nests thousands of levels deep; flatten it",
      }),
    ]);
    const mapping = `pipeline:\n  processors:\n    - mapping: root = ${deep(20_000)}\n`;
    expect(errors(mapping)).toEqual([
      expect.objectContaining({
        line: 3,
        message:
          "failed to parse mapping: nested too deeply to parse: it nests thousands of levels deep; flatten it",
      }),
    ]);
  });

  it("refuses configs over 1 MiB, before and after ${VAR} expansion", () => {
    const big = `input:\n  generate:\n    mapping: 'root = "${"x".repeat(1024 * 1024)}"'\n`;
    expect(errors(big)).toEqual([
      expect.objectContaining({
        line: 1,
        column: 1,
        message: expect.stringMatching(/^config is \d+ bytes: the limit is 1048576/),
      }),
    ]);
    const small = `input:\n  generate:\n    mapping: 'root = "\${BIG}"'\n`;
    expect(errors(small, { BIG: "x".repeat(1024 * 1024) })).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/once its environment variables are expanded: the limit/),
      }),
    ]);
  });

  it("an alias still means the last anchor of that name before it", () => {
    const yaml = `
input:
  generate: &gen
    mapping: root = 1
    count: 1
  processors:
    - mapping: &m root = "a"
    - mapping: &m root = "b"
    - mapping: *m
output:
  drop: {}
`;
    const cfg = loadConfig(yaml, { env: {} });
    expect(cfg.input.processors.map((p) => p.config)).toEqual(['root = "a"', 'root = "b"', 'root = "b"']);
  });
});
