// Walks a parsed Benthos YAML document against the component specs: collects lint issues (with
// YAML path, line and column) and builds the normalised EngineConfig with defaults applied.
import {
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from "yaml";
import { compile, compileInterpolation } from "../blobl";
import { isDuration, parseDuration } from "../duration";
import { componentNames, componentSpec, isBenthosOnly, isReefOnly } from "./components";
import { expandEnv } from "./env";
import { isRequired, type ComponentKind, type FieldSpec } from "./spec";
import type { ComponentConfig, EngineConfig, LintIssue } from "./types";

type AnyNode = Node | null | undefined;

const RESOURCE_SECTIONS: Record<string, ComponentKind> = {
  input_resources: "input",
  processor_resources: "processor",
  output_resources: "output",
  cache_resources: "cache",
  rate_limit_resources: "rate_limit",
};

const ROOT_KEYS = new Set([
  "http",
  "input",
  "buffer",
  "pipeline",
  "output",
  "logger",
  "metrics",
  "tracer",
  "shutdown_timeout",
  "shutdown_delay",
  "tests",
  ...Object.keys(RESOURCE_SECTIONS),
]);

const NOT_SUPPORTED_ROOT: Record<string, string> = {
  resources:
    "the v3 `resources` section is not supported: use input_resources, processor_resources, cache_resources, …",
};

interface Ref {
  kind: ComponentKind;
  name: string;
  node: AnyNode;
  path: string;
}

export interface WalkResult {
  issues: LintIssue[];
  config: EngineConfig;
}

/**
 * What one config may cost to load: hostile or careless input (a huge file, an alias bomb) gets an
 * error instead of exhausting the heap. Documented in lib/engine/README.md.
 */
export const CONFIG_LIMITS = {
  /** Size of the YAML text, before and after `${VAR}` expansion. */
  maxBytes: 1024 * 1024,
  /** The yaml library's own alias limit (its default): how often anchored content may be repeated. */
  maxAliasCount: 100,
  /** Nodes that expanding aliases and merge keys may add to the document. */
  maxAliasNodes: 100_000,
} as const;

/**
 * A parser that recursed past the JavaScript stack says "Maximum call stack size exceeded": say what
 * the user can act on instead (the depth that is legal is the stack's, roughly a few thousand levels).
 */
function plainDepthError(message: string): string {
  return /Maximum call stack size exceeded/.test(message)
    ? "nested too deeply to parse: it nests thousands of levels deep; flatten it"
    : message;
}

export function walkConfig(yamlText: string, env: NodeJS.ProcessEnv = process.env): WalkResult {
  const w = new Walker();
  const tooBig = sizeProblem(yamlText);
  if (tooBig) return w.fail(tooBig);
  const { text, missing } = expandEnv(yamlText, env);
  for (const m of missing) {
    w.issues.push({
      path: "",
      line: m.line,
      column: m.column,
      message: `required environment variable ${m.name} is not set and has no default`,
      level: "error",
    });
  }
  const expandedTooBig = sizeProblem(text, " once its environment variables are expanded");
  if (expandedTooBig) return w.fail(expandedTooBig);
  w.source = text;
  const doc = parseDocument(text, { lineCounter: w.lc, prettyErrors: false, uniqueKeys: true });
  for (const e of doc.errors) {
    // prettyErrors is off (it would append a code frame to the message), so place it ourselves.
    w.issue(null, "", `yaml: ${plainDepthError(e.message.split("\n")[0]!)}`, "error", e.pos[0]);
  }
  const aliasProblem = doc.errors.length ? undefined : resolveAliasesAndMerges(doc);
  if (aliasProblem) w.issue(aliasProblem.node, "", `yaml: ${aliasProblem.message}`);
  const usable = !doc.errors.length && !aliasProblem;
  const config = w.root(usable ? (doc.contents as AnyNode) : null);
  w.checkRefs(config);
  config.warnings = w.issues.filter((i) => i.level === "warning");
  config.reefOnly = [...w.reefOnly];
  config.components = [...w.components];
  // A value emptied by a missing env var is reported once, as the env var.
  const envAt = new Set(missing.map((m) => `${m.line}:${m.column}`));
  const issues = w.issues.filter((i) => i.path === "" || !envAt.has(`${i.line}:${i.column}`));
  return { issues: issues.sort((a, b) => a.line - b.line || a.column - b.column), config };
}

class Walker {
  readonly lc = new LineCounter();
  source = "";
  readonly issues: LintIssue[] = [];
  private readonly refs: Ref[] = [];
  private readonly labels = new Set<string>();
  /** `kind type` of every reef-only component the config uses. */
  readonly reefOnly = new Set<string>();
  /** `kind type` of every component the config uses. */
  readonly components = new Set<string>();

  private pos(node: AnyNode, offset = node?.range?.[0]): { line: number; column: number } {
    if (offset === undefined) return { line: 1, column: 1 };
    const p = this.lc.linePos(offset);
    return { line: p.line, column: p.col };
  }

  issue(
    node: AnyNode,
    path: string,
    message: string,
    level: "error" | "warning" = "error",
    offset?: number,
  ): void {
    this.issues.push({ path, ...this.pos(node, offset), message, level });
  }

  /** The result for a config refused before parsing: one error, the default config. */
  fail(message: string): WalkResult {
    this.issue(null, "", message);
    const config = this.root(null);
    return { issues: this.issues, config };
  }

  root(node: AnyNode): EngineConfig {
    const pairs = new Map<string, Pair<Node, Node>>();
    if (node && !isMap(node)) this.issue(node, "", "expected an object at the root of the config");
    if (isMap(node)) {
      for (const p of node.items as Pair<Node, Node>[]) {
        const key = keyOf(p);
        if (NOT_SUPPORTED_ROOT[key]) this.issue(p.key, key, NOT_SUPPORTED_ROOT[key]);
        else if (!ROOT_KEYS.has(key)) this.issue(p.key, key, `field ${key} not recognised`);
        pairs.set(key, p);
      }
    }
    const get = (k: string): AnyNode => pairs.get(k)?.value ?? undefined;
    const has = (k: string) => pairs.has(k) && get(k) != null;

    const input = has("input")
      ? this.component("input", get("input"), "input")
      : defaultComponent("stdin", "input");
    const output = has("output")
      ? this.component("output", get("output"), "output")
      : defaultComponent("stdout", "output");
    const buffer = has("buffer")
      ? this.component("buffer", get("buffer"), "buffer")
      : defaultComponent("none", "buffer");

    const pipelineVal = this.field(
      {
        kind: "object",
        default: {},
        children: {
          threads: { kind: "int", default: -1 },
          processors: { kind: "array", items: { kind: "processor" }, default: [] },
        },
      },
      get("pipeline"),
      "pipeline",
    ) as { threads: number; processors: ComponentConfig[] };

    const resources: EngineConfig["resources"] = {
      inputs: {},
      processors: {},
      outputs: {},
      caches: {},
      rateLimits: {},
    };
    const resKey: Record<ComponentKind, keyof EngineConfig["resources"] | undefined> = {
      input: "inputs",
      processor: "processors",
      output: "outputs",
      cache: "caches",
      rate_limit: "rateLimits",
      buffer: undefined,
    };
    for (const [section, kind] of Object.entries(RESOURCE_SECTIONS)) {
      const n = get(section);
      if (n == null) continue;
      if (!isSeq(n)) {
        this.issue(n, section, `expected an array of ${kind} resources`);
        continue;
      }
      n.items.forEach((item, i) => {
        const path = `${section}.${i}`;
        const c = this.component(kind, item as Node, path);
        if (!c) return;
        if (!c.label) this.issue(item as Node, path, `a resource must have a label`);
        else if (resources[resKey[kind]!][c.label])
          this.issue(item as Node, path, `duplicate resource label ${c.label}`);
        else resources[resKey[kind]!][c.label] = c;
      });
    }

    const http = this.field(
      {
        kind: "object",
        default: {},
        children: {
          address: { kind: "string", default: "0.0.0.0:4195" },
          enabled: { kind: "bool", default: true },
          root_path: { kind: "string", default: "/benthos" },
          debug_endpoints: { kind: "bool", default: false },
          cert_file: {
            kind: "string",
            default: "",
            unsupported: "TLS is not supported by the built-in engine",
          },
          key_file: {
            kind: "string",
            default: "",
            unsupported: "TLS is not supported by the built-in engine",
          },
          cors: { kind: "any", default: {} },
          basic_auth: { kind: "any", default: {}, ignored: "basic auth on the HTTP server is ignored" },
        },
      },
      get("http"),
      "http",
    ) as { address: string; enabled: boolean; root_path: string };

    const logger = this.field(
      {
        kind: "object",
        default: {},
        children: {
          level: { kind: "string", default: "INFO" },
          format: { kind: "string", default: "logfmt", oneOf: ["logfmt", "json"] },
          add_timestamp: { kind: "bool", default: false },
          level_name: { kind: "string", default: "level" },
          timestamp_name: { kind: "string", default: "time" },
          message_name: { kind: "string", default: "msg" },
          static_fields: { kind: "map", values: { kind: "any" }, default: { "@service": "benthos" } },
          file: { kind: "any", default: {}, ignored: "logging to a file is ignored (logs go to stderr)" },
        },
      },
      get("logger"),
      "logger",
    ) as EngineConfig["logger"];

    let metrics = { type: "prometheus", mapping: "" }; // Benthos's default
    const mNode = get("metrics");
    if (isMap(mNode)) {
      for (const p of mNode.items as Pair<Node, Node>[]) {
        const k = keyOf(p);
        if (k === "mapping") {
          metrics.mapping = String(scalarValue(p.value) ?? "");
          this.issue(
            p.key,
            "metrics.mapping",
            "metrics.mapping is ignored by the built-in engine",
            "warning",
          );
        } else if (["prometheus", "json_api", "none", "logger"].includes(k)) {
          metrics = { ...metrics, type: k };
          if (k === "logger")
            this.issue(
              p.key,
              `metrics.${k}`,
              `metrics type ${k}: metrics are not logged by the built-in engine (see RunningStream.metrics(), /stats)`,
              "warning",
            );
        } else if (["statsd", "influxdb", "cloudwatch", "aws_cloudwatch"].includes(k))
          this.issue(
            p.key,
            `metrics.${k}`,
            `metrics type ${k} is not supported: in-process metrics only`,
            "warning",
          );
        else this.issue(p.key, `metrics.${k}`, `metrics type ${k} not recognised`);
      }
    }
    const tNode = get("tracer");
    if (isMap(tNode) && (tNode.items as Pair<Node, Node>[]).some((p) => keyOf(p) !== "none"))
      this.issue(
        tNode,
        "tracer",
        "tracing is not supported by the built-in engine and is ignored",
        "warning",
      );

    const shutdown = this.field(
      { kind: "duration", default: "20s" },
      get("shutdown_timeout"),
      "shutdown_timeout",
    );
    this.field({ kind: "duration", default: "0s" }, get("shutdown_delay"), "shutdown_delay");

    const testsNode = get("tests");
    const tests = testsNode ? (testsNode.toJSON() as unknown) : [];
    if (testsNode && !Array.isArray(tests)) this.issue(testsNode, "tests", "expected an array of tests");

    return {
      input: input ?? defaultComponent("stdin", "input"),
      buffer: buffer ?? defaultComponent("none", "buffer"),
      pipeline: pipelineVal ?? { threads: -1, processors: [] },
      output: output ?? defaultComponent("stdout", "output"),
      resources,
      http: { ...http, explicit: has("http") },
      logger,
      metrics,
      shutdownTimeoutMs: safeDuration(shutdown, 20_000),
      tests: Array.isArray(tests) ? tests : [],
      warnings: [],
      reefOnly: [],
      components: [],
    };
  }

  /** A component node: `{ label?, <type>: config, processors? }`. */
  component(kind: ComponentKind, node: AnyNode, path: string): ComponentConfig | undefined {
    if (!isMap(node)) {
      this.issue(node, path, `expected an object for a ${kind}`);
      return undefined;
    }
    let label = "";
    let procs: ComponentConfig[] = [];
    const typed: Pair<Node, Node>[] = [];
    for (const p of (node as YAMLMap<Node, Node>).items as Pair<Node, Node>[]) {
      const key = keyOf(p);
      if (key === "label") {
        label = String(scalarValue(p.value) ?? "");
        if (label && !/^[a-zA-Z0-9_-]+$/.test(label))
          this.issue(p.value, `${path}.label`, `label ${label} is invalid: use letters, digits, _ and -`);
        else if (label && this.labels.has(label))
          this.issue(p.value, `${path}.label`, `label ${label} collides with a previously defined label`);
        if (label) this.labels.add(label);
      } else if (key === "processors" && (kind === "input" || kind === "output")) {
        procs = this.field(
          { kind: "array", items: { kind: "processor" }, default: [] },
          p.value,
          `${path}.processors`,
        ) as ComponentConfig[];
      } else if (key === "type" && isScalar(p.value) && kind !== "processor") {
        // v3 style `type: foo` next to `foo: {…}`: the keyed one carries the config.
      } else typed.push(p);
    }
    if (typed.length === 0) {
      this.issue(
        node,
        path,
        `${kind} has no component type (expected one of: ${componentNames(kind).join(", ")})`,
      );
      return undefined;
    }
    if (typed.length > 1) {
      this.issue(
        typed[1].key,
        path,
        `${kind} has more than one component type: ${typed.map(keyOf).join(", ")}`,
      );
    }
    const p = typed[0];
    const type = keyOf(p);
    const cpath = `${path}.${type}`;
    if (type === "resource" && kind !== "cache" && kind !== "rate_limit" && kind !== "buffer") {
      const name = String(scalarValue(p.value) ?? "");
      if (!name) this.issue(p.value ?? p.key, cpath, "resource name is required");
      this.refs.push({ kind, name, node: p.value ?? p.key, path: cpath });
      return { type, label, config: name, processors: procs, path };
    }
    const spec = componentSpec(kind, type);
    if (!spec) {
      if (isBenthosOnly(kind, type))
        this.issue(
          p.key,
          cpath,
          `${kind} ${type} is a Benthos component that the built-in engine does not support (run it with a benthos/redpanda-connect binary: REEF_ENGINE)`,
        );
      else this.issue(p.key, cpath, `unable to infer ${kind} type: ${type} not recognised`);
      return undefined;
    }
    this.components.add(`${kind} ${type}`);
    if (isReefOnly(kind, type)) this.reefOnly.add(`${kind} ${type}`);
    if (isReefOnly(kind, type))
      this.issue(
        p.key,
        cpath,
        `${kind} ${type} is a reef component: Benthos / Redpanda Connect binaries do not have it (reef runs such a config on its built-in engine)`,
        "warning",
      );
    const config = this.field(spec.config, p.value, cpath);
    this.componentChecks(kind, type, config, p.value, cpath);
    for (const f of config ? (spec.config.lint?.(config) ?? []) : []) {
      const at =
        f.field && isMap(p.value)
          ? p.value.items.find((i) => keyOf(i as Pair<Node, Node>) === f.field)
          : undefined;
      this.issue(
        (at as Pair<Node, Node> | undefined)?.value ?? p.value ?? p.key,
        f.field ? `${cpath}.${f.field}` : cpath,
        f.message,
        f.level,
      );
    }
    return { type, label, config, processors: procs, path };
  }

  /** Cross-field rules Benthos enforces for some components. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private componentChecks(kind: ComponentKind, type: string, config: any, node: AnyNode, path: string): void {
    if (kind === "processor" && type === "dedupe" && config?.cache)
      this.refs.push({ kind: "cache", name: config.cache, node, path: `${path}.cache` });
    if (kind === "processor" && type === "cache" && config?.resource)
      this.refs.push({ kind: "cache", name: config.resource, node, path: `${path}.resource` });
    if (kind === "processor" && type === "rate_limit" && config?.resource)
      this.refs.push({ kind: "rate_limit", name: config.resource, node, path: `${path}.resource` });
    if (kind === "input" && type === "http_server" && config?.rate_limit)
      this.refs.push({ kind: "rate_limit", name: config.rate_limit, node, path: `${path}.rate_limit` });
    if (
      kind === "input" &&
      type === "nats_jetstream" &&
      config &&
      !config.subject &&
      !config.stream &&
      !config.durable
    )
      this.issue(node, path, "nats_jetstream input needs subject, or stream (with durable) to consume");
    if (kind === "input" && type === "generate" && config?.interval && !isDuration(config.interval))
      this.issue(
        node,
        `${path}.interval`,
        `interval ${config.interval}: cron expressions are not supported by the built-in engine, use a duration`,
      );
    if (kind === "input" && type === "nats_jetstream" && config?.bind && !(config.stream && config.durable))
      this.issue(node, path, "bind requires both stream and durable");
    if (kind === "processor" && type === "workflow" && config) {
      for (const name of config.branch_resources ?? [])
        this.refs.push({ kind: "processor", name, node, path: `${path}.branch_resources` });
    }
  }

  checkRefs(config: EngineConfig): void {
    const bag: Record<string, Record<string, ComponentConfig>> = {
      input: config.resources.inputs,
      processor: config.resources.processors,
      output: config.resources.outputs,
      cache: config.resources.caches,
      rate_limit: config.resources.rateLimits,
    };
    for (const r of this.refs) {
      if (r.name && !bag[r.kind]?.[r.name])
        this.issue(r.node, r.path, `${r.kind.replace("_", " ")} resource ${r.name} is not defined`);
    }
  }

  /** Checks one value against its spec and returns it with defaults applied. */
  field(spec: FieldSpec, node: AnyNode, path: string): unknown {
    const absent = node == null || (isScalar(node) && node.value === null);
    if (absent) {
      // An explicit `key:` with no value counts as set-but-empty: required things must still be there.
      if (node != null && spec.kind === "object") {
        for (const [k, child] of Object.entries(spec.children ?? {}))
          if (isRequired(child)) this.issue(node, `${path}.${k}`, `field ${k} is required`);
        return this.defaultOf({ ...spec, default: {} });
      }
      if (node != null && isRequired(spec)) this.issue(node, path, `a value is required`);
      return "default" in spec ? this.defaultOf(spec) : undefined;
    }
    if (spec.ignored) this.issue(node, path, `${path.split(".").pop()}: ${spec.ignored}`, "warning");
    if (spec.unsupported && differsFromDefault(node.toJSON?.() as unknown, this.defaultOf(spec)))
      this.issue(node, path, `${path.split(".").pop()}: ${spec.unsupported}`);
    switch (spec.kind) {
      case "any":
        return node.toJSON();
      case "string":
      case "bloblang":
      case "duration": {
        if (!isScalar(node) || typeof node.value === "object") {
          this.issue(node, path, `expected a string value`);
          return spec.default;
        }
        const s = String(node.value);
        if (spec.oneOf && !spec.oneOf.includes(s))
          this.issue(node, path, `value ${s} is not one of: ${spec.oneOf.join(", ")}`);
        if (spec.kind === "duration" && !isDuration(s)) this.issue(node, path, `invalid duration: ${s}`);
        if (spec.kind === "bloblang" && s.trim() !== "") this.checkBloblang(s, node, path);
        if (spec.interpolated && s.includes("${!")) this.checkInterpolation(s, node, path);
        return s;
      }
      case "int":
      case "float": {
        const v = isScalar(node) ? node.value : undefined;
        const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
        if (Number.isNaN(n) || (spec.kind === "int" && !Number.isInteger(n))) {
          this.issue(node, path, `expected ${spec.kind === "int" ? "an integer" : "a number"} value`);
          return spec.default;
        }
        return n;
      }
      case "bool": {
        const v = isScalar(node) ? node.value : undefined;
        if (typeof v === "boolean") return v;
        if (v === "true" || v === "false") return v === "true";
        this.issue(node, path, `expected a boolean value`);
        return spec.default;
      }
      case "array": {
        if (!isSeq(node)) {
          // Benthos accepts a single value where a string array is expected (e.g. `urls: nats://…`).
          if (isScalar(node) && spec.items?.kind === "string") return [String(node.value)];
          this.issue(node, path, `expected an array value`);
          return spec.default ?? [];
        }
        return node.items
          .map((item, i) => this.field(spec.items!, item as Node, `${path}.${i}`))
          .filter((v) => v !== undefined);
      }
      case "map": {
        if (!isMap(node)) {
          this.issue(node, path, `expected an object value`);
          return spec.default ?? {};
        }
        const out: Record<string, unknown> = {};
        for (const p of node.items as Pair<Node, Node>[]) {
          const k = keyOf(p);
          out[k] = this.field(spec.values!, p.value, `${path}.${k}`);
        }
        return out;
      }
      case "object": {
        if (!isMap(node)) {
          this.issue(node, path, `expected an object value`);
          return this.defaultOf({ ...spec, default: {} });
        }
        const out: Record<string, unknown> = {};
        const seen = new Set<string>();
        for (const p of node.items as Pair<Node, Node>[]) {
          const k = keyOf(p);
          const child = spec.children?.[k];
          if (!child) {
            this.issue(p.key, `${path}.${k}`, `field ${k} not recognised`);
            continue;
          }
          seen.add(k);
          out[k] = this.field(child, p.value, `${path}.${k}`);
        }
        for (const [k, child] of Object.entries(spec.children ?? {})) {
          if (seen.has(k)) continue;
          if (isRequired(child)) this.issue(node, `${path}.${k}`, `field ${k} is required`);
          else if ("default" in child) out[k] = this.defaultOf(child);
        }
        return out;
      }
      case "scanner":
        return this.scanner(node, path);
      case "input":
      case "output":
      case "processor":
        return this.component(spec.kind, node, path);
    }
  }

  private scanner(node: Node, path: string): unknown {
    const known: Record<string, FieldSpec> = {
      lines: {
        kind: "object",
        default: {},
        children: {
          custom_delimiter: { kind: "string", optional: true },
          max_buffer_size: { kind: "int", default: 65536 },
        },
      },
      to_the_end: { kind: "object", default: {}, children: {} },
      chunker: { kind: "object", default: {}, children: { size: { kind: "int" } } },
    };
    if (!isMap(node) || node.items.length !== 1) {
      this.issue(node, path, `expected a scanner object with one type (${Object.keys(known).join(", ")})`);
      return { lines: {} };
    }
    const p = node.items[0] as Pair<Node, Node>;
    const k = keyOf(p);
    if (!known[k]) {
      this.issue(
        p.key,
        `${path}.${k}`,
        `scanner ${k} is not supported (supported: ${Object.keys(known).join(", ")})`,
      );
      return { lines: {} };
    }
    return { [k]: this.field(known[k], p.value, `${path}.${k}`) };
  }

  private defaultOf(spec: FieldSpec): unknown {
    if (spec.kind === "object" && spec.children) {
      const out: Record<string, unknown> = {};
      for (const [k, c] of Object.entries(spec.children)) if ("default" in c) out[k] = this.defaultOf(c);
      return out;
    }
    return structuredClone(spec.default);
  }

  private checkBloblang(src: string, node: Node, path: string): void {
    try {
      compile(src);
    } catch (err) {
      const message = `failed to parse mapping: ${plainDepthError((err as Error).message)}`;
      this.issues.push({ path, ...this.innerPos(node, (err as Error).message), message, level: "error" });
    }
  }

  /** Points into a mapping at the error's "line N char M" when the scalar layout allows it. */
  private innerPos(node: Node, errMessage: string): { line: number; column: number } {
    const base = this.pos(node);
    const m = /line (\d+) char (\d+)/.exec(errMessage);
    if (!m || !isScalar(node)) return base;
    const line = Number(m[1]);
    const col = Number(m[2]);
    if (node.type === "BLOCK_LITERAL") {
      const start = node.range?.[0] ?? 0;
      // Block content starts on the line after the indicator, at the block's indentation.
      const firstLine = this.lc.linePos(start).line + 1;
      const lineStart = this.lc.lineStarts[firstLine - 1 + line - 1];
      const text = this.source.slice(lineStart, this.source.indexOf("\n", lineStart) >>> 0);
      const indent = /^ */.exec(text)?.[0].length ?? 0;
      return { line: firstLine + line - 1, column: indent + col };
    }
    if (line === 1 && (node.type === "PLAIN" || node.type === "QUOTE_SINGLE" || node.type === "QUOTE_DOUBLE"))
      return { line: base.line, column: base.column + col - 1 + (node.type === "PLAIN" ? 0 : 1) };
    return base;
  }

  private checkInterpolation(src: string, node: Node, path: string): void {
    try {
      compileInterpolation(src);
    } catch (err) {
      this.issue(node, path, `failed to parse interpolation: ${(err as Error).message}`);
    }
  }
}

function keyOf(p: Pair<Node, Node>): string {
  return String(isScalar(p.key) ? p.key.value : p.key);
}

function scalarValue(n: AnyNode): unknown {
  return isScalar(n) ? n.value : undefined;
}

/** True when a value sets anything beyond its defaults (empty values count as unset). */
function differsFromDefault(v: unknown, def: unknown): boolean {
  if (isEmpty(v)) return false;
  if (v && typeof v === "object" && !Array.isArray(v) && def && typeof def === "object")
    return Object.entries(v).some(([k, x]) => differsFromDefault(x, (def as Record<string, unknown>)[k]));
  return JSON.stringify(v) !== JSON.stringify(def ?? null);
}

function isEmpty(v: unknown): boolean {
  return (
    v == null ||
    v === "" ||
    v === false ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && Object.keys(v as object).length === 0)
  );
}

function safeDuration(v: unknown, fallback: number): number {
  try {
    return parseDuration(String(v));
  } catch {
    return fallback;
  }
}

function defaultComponent(type: string, path: string): ComponentConfig {
  const kind = path as ComponentKind;
  const spec = componentSpec(kind, type)!;
  const w = new Walker();
  return { type, label: "", config: w.field(spec.config, undefined, path), processors: [], path };
}

function sizeProblem(text: string, when = ""): string | undefined {
  const bytes = Buffer.byteLength(text);
  if (bytes <= CONFIG_LIMITS.maxBytes) return undefined;
  return `config is ${bytes} bytes${when}: the limit is ${CONFIG_LIMITS.maxBytes} (1 MiB)`;
}

interface AliasProblem {
  node: Node;
  message: string;
}

/**
 * YAML anchors (`*ref`) and merge keys (`<<: *ref`) are replaced by what they point at (shared, not
 * copied), so the walker sees plain maps and sequences (positions then point at the anchored
 * definition). Sharing multiplies what the walker visits: the yaml library's alias limit is checked
 * first, and the nodes that aliases and merges add are capped, so an alias bomb is an error rather
 * than an exhausted heap.
 */
function resolveAliasesAndMerges(doc: Document): AliasProblem | undefined {
  try {
    // toJS shares one result per anchor (cheap) while counting what expanding it would cost.
    doc.toJS({ maxAliasCount: CONFIG_LIMITS.maxAliasCount });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    let first: Node = doc.contents as Node;
    visit(doc, {
      Alias(_, node) {
        first = node;
        return visit.BREAK;
      },
    });
    return { node: first, message: err.message };
  }

  const sizes = new Map<unknown, number>();
  /** Nodes under `n`, counting shared subtrees each time they appear (memoised: linear). */
  const sizeOf = (n: unknown): number => {
    if (!n || typeof n !== "object") return 0;
    let size = sizes.get(n);
    if (size !== undefined) return size;
    if (isPair(n)) size = 1 + sizeOf(n.key) + sizeOf(n.value);
    else if (isCollection(n)) size = 1 + n.items.reduce((sum: number, item) => sum + sizeOf(item), 0);
    else size = 1;
    sizes.set(n, size);
    return size;
  };
  let added = 0;
  const within = (what: unknown): boolean => {
    added += sizeOf(what);
    return added <= CONFIG_LIMITS.maxAliasNodes;
  };
  const tooMuch = (node: Node): AliasProblem => ({
    node,
    message: `aliases and merge keys expand the document by more than ${CONFIG_LIMITS.maxAliasNodes} nodes`,
  });

  // In document order, an alias means the last node anchored with its name before it (YAML 1.2).
  const anchors = new Map<string, Node>();
  const shared = new Set<Node>();
  let problem: AliasProblem | undefined;
  visit(doc, (_key, node, path) => {
    if (!isNode(node)) return undefined;
    if (shared.has(node)) return visit.SKIP; // resolved already, where it was defined
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) return undefined; // unresolved: toJS above has refused it already
      if (path.includes(target)) {
        problem = { node, message: `alias *${node.source} is inside the node it refers to` };
        return visit.BREAK;
      }
      if (!within(target)) {
        problem = tooMuch(node);
        return visit.BREAK;
      }
      shared.add(target);
      return target;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    return undefined;
  });
  if (problem) return problem;

  visit(doc, {
    Map(_, map) {
      const pairs = map.items as Pair<Node, Node>[];
      const merges = pairs.filter((p) => keyOf(p) === "<<");
      if (!merges.length) return undefined;
      const kept = pairs.filter((p) => keyOf(p) !== "<<");
      const own = new Set(kept.map(keyOf));
      for (const m of merges) {
        const sources = isSeq(m.value) ? (m.value.items as Node[]) : [m.value];
        for (const src of sources) {
          if (!isMap(src)) continue;
          for (const p of src.items as Pair<Node, Node>[]) {
            const k = keyOf(p);
            if (own.has(k)) continue;
            own.add(k);
            if (!within(p)) {
              problem = tooMuch(m.key);
              return visit.BREAK;
            }
            kept.push(p);
          }
        }
      }
      map.items = kept;
      return undefined;
    },
  });
  return problem;
}
