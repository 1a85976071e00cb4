// A Benthos / Redpanda Connect config as a Mermaid flowchart: input(s) → processors (with the
// fan-out of switch, branch, workflow, …) → output(s). Reads the raw YAML, so it draws any config,
// including components the built-in engine does not know.
import { parseConfigYaml } from "../model";

interface Tail {
  id: string;
  label?: string;
}

interface Component {
  type: string;
  label: string;
  body: unknown;
  processors: unknown[];
}

/** Processors whose children run in sequence inside them (drawn as a sub-chain). */
const NESTED_SEQUENCES = new Set(["try", "catch", "for_each", "parallel"]);
/** Processors with a `processors` field in their config. */
const NESTED_FIELD = new Set(["while", "retry", "cached", "dedupe", "label"]);

/** A job's triggers (CONTRACT.md §8), drawn as where its runs come from. */
export interface GraphTriggers {
  subject?: string;
  schedule?: string;
}

/** One config as a flowchart; a job's (`job` given) with its triggers starting runs of its input. */
export function configToMermaid(yamlText: string, opts: { job?: GraphTriggers } = {}): string {
  const g = new Graph();
  g.pipeline(yamlText, opts.job);
  return g.render();
}

export interface GraphPipeline {
  id: string;
  configText: string;
  /** Set for a job: its triggers. */
  job?: GraphTriggers;
}

/** Several pipelines (a folder of manifests) in one flowchart: one subgraph each, jobs with their triggers. */
export function pipelinesToMermaid(pipelines: GraphPipeline[]): string {
  const g = new Graph();
  for (const p of pipelines) {
    g.subgraph(`${p.id} (${p.job ? "job" : "stream"})`, () => g.pipeline(p.configText, p.job));
  }
  return g.render();
}

class Graph {
  private lines: string[] = [];
  private n = 0;
  private groups = 0;

  render(): string {
    return ["flowchart LR", ...this.lines.map((l) => `  ${l}`)].join("\n") + "\n";
  }

  /** input → processors → output; a job's triggers point at its input with "starts a run". */
  pipeline(yamlText: string, job?: GraphTriggers): void {
    const config = parseConfigYaml("config", yamlText);
    const first = `n${this.n + 1}`; // the input's first node
    let tails = this.input(config.input);
    if (job) {
      const sources = [
        ...(job.subject ? [`NATS subject ${job.subject}`] : []),
        ...(job.schedule ? [`schedule ${job.schedule} (UTC)`] : []),
      ];
      if (!sources.length) sources.push("reef trigger / POST …/trigger");
      for (const source of sources) {
        const id = this.node(`trigger: ${source}`, "round");
        this.lines.push(`${id} -.->|"starts a run"| ${first}`);
      }
    }
    const pipeline = isObject(config.pipeline) ? config.pipeline : {};
    tails = this.chain(asArray(pipeline.processors), tails);
    this.output(config.output, tails);
  }

  subgraph(title: string, draw: () => void): void {
    this.lines.push(`subgraph g${++this.groups}["${escapeText(title)}"]`);
    draw();
    this.lines.push("end");
  }

  private node(text: string, shape: "box" | "diamond" | "round" | "stadium" = "box"): string {
    const id = `n${++this.n}`;
    const t = `"${escapeText(text)}"`;
    const s =
      shape === "diamond"
        ? `{${t}}`
        : shape === "round"
          ? `(${t})`
          : shape === "stadium"
            ? `([${t}])`
            : `[${t}]`;
    this.lines.push(`${id}${s}`);
    return id;
  }

  private connect(tails: Tail[], to: string): void {
    for (const t of tails) {
      this.lines.push(
        t.label ? `${t.id} -->|"${escapeText(truncate(t.label))}"| ${to}` : `${t.id} --> ${to}`,
      );
    }
  }

  private step(tails: Tail[], text: string, shape: "box" | "diamond" | "round" | "stadium" = "box"): string {
    const id = this.node(text, shape);
    this.connect(tails, id);
    return id;
  }

  input(value: unknown): Tail[] {
    const c = component(value);
    if (!c) return [{ id: this.node("input (none)", "stadium") }];
    let tails: Tail[];
    if ((c.type === "broker" || c.type === "sequence") && isObject(c.body)) {
      const join = this.node(title(c), "round");
      for (const child of asArray(c.body.inputs)) {
        const childTails = this.input(child);
        this.connect(childTails, join);
      }
      tails = [{ id: join }];
    } else if (c.type === "read_until" && isObject(c.body)) {
      const inner = this.input(c.body.input);
      tails = [{ id: this.step(inner, title(c)) }];
    } else {
      tails = [{ id: this.node(title(c), "stadium") }];
    }
    return this.chain(c.processors, tails);
  }

  output(value: unknown, tails: Tail[]): void {
    const c = component(value);
    if (!c) {
      this.step(tails, "output (none)", "stadium");
      return;
    }
    tails = this.chain(c.processors, tails);
    const body = c.body;
    if (c.type === "switch" && isObject(body)) {
      const sw = this.step(tails, title(c), "diamond");
      for (const [i, k] of asArray(body.cases).entries()) {
        const kase = isObject(k) ? k : {};
        const check =
          typeof kase.check === "string" && kase.check.trim() ? kase.check : `case ${i + 1} (always)`;
        this.output(kase.output, [{ id: sw, label: check }]);
      }
    } else if ((c.type === "broker" || c.type === "fallback") && (isObject(body) || Array.isArray(body))) {
      const children = Array.isArray(body) ? body : asArray(body.outputs);
      const pattern = isObject(body) && typeof body.pattern === "string" ? body.pattern : c.type;
      const hub = this.step(tails, title(c, pattern), "round");
      children.forEach((child, i) =>
        this.output(child, [{ id: hub, label: c.type === "fallback" ? `#${i + 1}` : undefined }]),
      );
    } else if ((c.type === "retry" || c.type === "drop_on") && isObject(body) && body.output !== undefined) {
      const hub = this.step(tails, title(c), "round");
      this.output(body.output, [{ id: hub }]);
    } else {
      this.step(tails, title(c), "stadium");
    }
  }

  chain(procs: unknown[], tails: Tail[]): Tail[] {
    for (const p of procs) tails = this.processor(p, tails);
    return tails;
  }

  private processor(value: unknown, tails: Tail[]): Tail[] {
    const c = component(value);
    if (!c) return tails;
    const body = c.body;
    switch (c.type) {
      case "switch": {
        const sw = this.step(tails, title(c), "diamond");
        const out: Tail[] = [];
        for (const [i, k] of asArray(body).entries()) {
          const kase = isObject(k) ? k : {};
          const check =
            typeof kase.check === "string" && kase.check.trim() ? kase.check : `case ${i + 1} (always)`;
          out.push(...this.chain(asArray(kase.processors), [{ id: sw, label: check }]));
        }
        return out.length ? out : [{ id: sw }];
      }
      case "group_by": {
        const sw = this.step(tails, title(c), "diamond");
        const out: Tail[] = asArray(body).flatMap((g) => {
          const group = isObject(g) ? g : {};
          return this.chain(asArray(group.processors), [{ id: sw, label: String(group.check ?? "group") }]);
        });
        return out.length ? out : [{ id: sw }];
      }
      case "branch": {
        const id = this.step(tails, title(c), "round");
        const b = isObject(body) ? body : {};
        const inner = this.chain(asArray(b.processors), [
          { id, label: b.request_map ? "request_map" : undefined },
        ]);
        return inner.map((t) => ({ ...t, label: b.result_map ? "result_map" : t.label }));
      }
      case "workflow": {
        const id = this.step(tails, title(c), "round");
        const b = isObject(body) ? body : {};
        const branches = isObject(b.branches) ? Object.entries(b.branches) : [];
        const out: Tail[] = [];
        for (const [name, br] of branches) {
          const branch = isObject(br) ? br : {};
          out.push(...this.chain(asArray(branch.processors), [{ id, label: name }]));
        }
        return out.length ? out : [{ id }];
      }
      default: {
        if (NESTED_SEQUENCES.has(c.type) && Array.isArray(body)) {
          const id = this.step(tails, title(c), "round");
          return this.chain(body, [{ id }]);
        }
        if (NESTED_FIELD.has(c.type) && isObject(body) && Array.isArray(body.processors)) {
          const extra = c.type === "while" && typeof body.check === "string" ? ` while ${body.check}` : "";
          const id = this.step(tails, title(c) + extra, "round");
          return this.chain(body.processors, [{ id }]);
        }
        return [{ id: this.step(tails, title(c)) }];
      }
    }
  }
}

function component(value: unknown): Component | null {
  if (!isObject(value)) return null;
  const keys = Object.keys(value).filter((k) => k !== "label" && k !== "processors");
  if (!keys.length) return null;
  const type = keys[0];
  return {
    type,
    label: typeof value.label === "string" ? value.label : "",
    body: value[type],
    processors: asArray(value.processors),
  };
}

function title(c: Component, detail?: string): string {
  let text = c.type;
  if (c.type === "resource" && typeof c.body === "string") text = `resource: ${c.body}`;
  if (detail && detail !== c.type) text += ` (${detail})`;
  return c.label ? `${c.label}\n${text}` : text;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function truncate(s: string, max = 40): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > max ? one.slice(0, max - 1) + "…" : one;
}

/** Mermaid labels: quotes and markup characters as entity codes, newlines as <br/>. */
function escapeText(s: string): string {
  return s
    .replace(/&/g, "#amp;")
    .replace(/"/g, "#quot;")
    .replace(/</g, "#lt;")
    .replace(/>/g, "#gt;")
    .replace(/\|/g, "#124;")
    .replace(/\n/g, "<br/>");
}
