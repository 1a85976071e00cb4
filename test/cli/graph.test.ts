// `reef graph`: configs as Mermaid flowcharts, fan-out included.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configToMermaid } from "../../lib/pipelines";
import { assertBuilt, reef, tempDir } from "./helpers";

/** Node labels by id, and edges as "from-label -> to-label [edge label]". */
function parse(mermaid: string): { nodes: Map<string, string>; edges: string[] } {
  const nodes = new Map<string, string>();
  const edges: string[] = [];
  for (const raw of mermaid.split("\n").slice(1)) {
    const line = raw.trim();
    const node = /^(n\d+)[[({]+"(.*)"[\])}]+$/.exec(line);
    if (node) nodes.set(node[1], node[2]);
    const edge = /^(n\d+) -->(?:\|"(.*)"\|)? (n\d+)$/.exec(line);
    if (edge) edges.push(`${edge[1]}>${edge[3]}${edge[2] ? ` [${edge[2]}]` : ""}`);
  }
  return {
    nodes,
    edges: edges.map((e) => {
      const [, a, b, l] = /^(n\d+)>(n\d+)(.*)$/.exec(e)!;
      return `${nodes.get(a)} -> ${nodes.get(b)}${l}`;
    }),
  };
}

describe("configToMermaid", () => {
  it("draws input → processors → output", () => {
    const m = configToMermaid(
      "input:\n  label: in\n  nats_jetstream: {}\npipeline:\n  processors:\n    - mapping: root = this\n    - log: {}\noutput:\n  stdout: {}\n",
    );
    expect(m.startsWith("flowchart LR\n")).toBe(true);
    expect(parse(m).edges).toEqual(["in<br/>nats_jetstream -> mapping", "mapping -> log", "log -> stdout"]);
  });

  it("fans out switch cases, branch, workflow branches and rejoins", () => {
    const yaml = `
input:
  broker:
    inputs:
      - generate: { mapping: root = 1 }
      - http_server: {}
pipeline:
  processors:
    - switch:
        - check: this.kind == "a"
          processors:
            - mapping: root.a = true
        - processors:
            - log: {}
    - branch:
        request_map: root = this.id
        processors:
          - http: { url: "http://x" }
        result_map: root.extra = this
    - workflow:
        branches:
          enrich:
            processors:
              - cache: { resource: c }
          score:
            processors:
              - mapping: root.score = 1
output:
  switch:
    cases:
      - check: this.score > 0
        output:
          nats: {}
      - output:
          drop: {}
`;
    const { edges } = parse(configToMermaid(yaml));
    expect(edges).toEqual(
      expect.arrayContaining([
        "generate -> broker",
        "http_server -> broker",
        "broker -> switch",
        "switch -> mapping [this.kind == #quot;a#quot;]",
        "switch -> log [case 2 (always)]",
        "mapping -> branch",
        "log -> branch",
        "branch -> http [request_map]",
        "http -> workflow [result_map]",
        "workflow -> cache [enrich]",
        "workflow -> mapping [score]",
        "cache -> switch",
        "switch -> nats [this.score #gt; 0]",
        "switch -> drop [case 2 (always)]",
      ]),
    );
  });

  it("draws broker and fallback outputs, nested try/catch, and resources", () => {
    const yaml = `
input:
  resource: my_input
pipeline:
  processors:
    - try:
        - mapping: root = this
    - catch:
        - log: {}
output:
  broker:
    pattern: fan_out
    outputs:
      - fallback:
          - http_client: {}
          - file: {}
      - resource: audit
`;
    const { edges } = parse(configToMermaid(yaml));
    expect(edges).toEqual(
      expect.arrayContaining([
        "resource: my_input -> try",
        "try -> mapping",
        "mapping -> catch",
        "catch -> log",
        "log -> broker (fan_out)",
        "broker (fan_out) -> fallback",
        "fallback -> http_client [#1]",
        "fallback -> file [#2]",
        "broker (fan_out) -> resource: audit",
      ]),
    );
  });

  it("rejects what is not a YAML mapping", () => {
    expect(() => configToMermaid("input: [")).toThrow(/not valid YAML/);
    expect(() => configToMermaid("- a\n")).toThrow(/mapping/);
  });

  it("reef graph <file> prints the chart", async () => {
    assertBuilt();
    const file = join(tempDir(), "c.yaml");
    await writeFile(file, "input:\n  generate: { mapping: root = 1 }\noutput:\n  drop: {}\n");
    const r = await reef(["graph", file], { env: {} });
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r.stdout).edges).toEqual(["generate -> drop"]);
  });
});

describe("jobs and their triggers in the chart", () => {
  /** Trigger edges as "trigger label -> input label". */
  function triggerEdges(mermaid: string): string[] {
    const { nodes } = parse(mermaid);
    return [...mermaid.matchAll(/(n\d+) -\.->\|"starts a run"\| (n\d+)/g)].map(
      ([, a, b]) => `${nodes.get(a)} -> ${nodes.get(b)}`,
    );
  }

  it("a job's subject and schedule start runs of its input; a job without either shows the manual trigger", () => {
    const yaml = "input:\n  stdin: {}\noutput:\n  drop: {}\n";
    const m = configToMermaid(yaml, { job: { subject: "orders.day", schedule: "5 0 * * *" } });
    expect(triggerEdges(m)).toEqual([
      "trigger: NATS subject orders.day -> stdin",
      "trigger: schedule 5 0 * * * (UTC) -> stdin",
    ]);
    expect(parse(m).edges).toEqual(["stdin -> drop"]);
    expect(triggerEdges(configToMermaid(yaml, { job: {} }))).toEqual([
      "trigger: reef trigger / POST …/trigger -> stdin",
    ]);
    expect(triggerEdges(configToMermaid(yaml))).toEqual([]);
  });

  it("reef graph <folder> draws every pipeline of the medallion example, the job with its triggers", async () => {
    assertBuilt();
    const r = await reef(["graph", "infra/local/examples/medallion"], { env: {} });
    expect(r.code, r.stderr).toBe(0);
    const subgraphs = [...r.stdout.matchAll(/subgraph g\d+\["(.*)"\]/g)].map((m) => m[1]);
    expect(subgraphs).toEqual(["orders-enrich (stream)", "daily-summary (job)"]);
    expect(r.stdout.match(/^\s*end$/gm)).toHaveLength(2);
    const { edges } = parse(r.stdout);
    expect(edges).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^postgres_notify.* -> /),
        expect.stringMatching(/ -> sql_raw/),
      ]),
    );
    expect(triggerEdges(r.stdout)).toEqual([
      "trigger: NATS subject medallion.summary -> stdin",
      "trigger: schedule 5 0 * * * (UTC) -> stdin",
    ]);
    // One manifest file works too.
    const one = await reef(["graph", "infra/local/examples/medallion/summary/pipeline.yaml"], { env: {} });
    expect(one.code, one.stderr).toBe(0);
    expect([...one.stdout.matchAll(/subgraph g\d+\["(.*)"\]/g)].map((m) => m[1])).toEqual([
      "daily-summary (job)",
    ]);
  });
});

describe("reef init", () => {
  it("scaffolds a config that lints clean and passes its own tests", async () => {
    assertBuilt();
    const dir = join(tempDir(), "sample");
    expect((await reef(["init", dir], { env: {} })).code).toBe(0);
    const lint = await reef(["lint", join(dir, "config.yaml")], { env: { REEF_ENGINE: "builtin" } });
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    const test = await reef(["test", join(dir, "config.yaml")], { env: { REEF_ENGINE: "builtin" } });
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toContain("1 passed");
  });
});
