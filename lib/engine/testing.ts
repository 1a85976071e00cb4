// `reef test`: Benthos config unit tests, from a config's own `tests:` or from a sibling
// `<name>_benthos_test.yaml`, run against the config's processors without any input or output.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import fg from "fast-glob";
import { isMap, isSeq, parseDocument, parse as parseYaml, visit } from "yaml";
import { compile, execInput } from "./blobl";
import { buildInput } from "./components/inputs";
import { buildOutput } from "./components/outputs";
import { buildProcessor, runProcessors } from "./components/processors";
import { loadConfig } from "./config";
import type { ComponentConfig, EngineConfig } from "./config/types";
import { errorMessage } from "./errors";
import { Message, type Batch } from "./message";
import type { BuildContext } from "./runtime/context";
import { HttpServerRegistry } from "./runtime/http";
import { makeLogger } from "./runtime/logger";
import { MetricsRegistry } from "./runtime/metrics";
import { NatsPool } from "./runtime/nats";
import { ResourceSet } from "./runtime/resources";
import type { Processor } from "./runtime/types";

export interface TestCaseResult {
  name: string;
  ok: boolean;
  failures: string[];
}

export interface TestFileResult {
  /** The config under test. */
  config: string;
  /** Where the tests were defined (the config itself or its _benthos_test.yaml). */
  definition: string;
  ok: boolean;
  error?: string;
  tests: TestCaseResult[];
}

export interface TestReport {
  ok: boolean;
  passed: number;
  failed: number;
  files: TestFileResult[];
}

interface InputPart {
  content?: string;
  json_content?: unknown;
  file_content?: string;
  metadata?: Record<string, unknown>;
}

type Condition = Record<string, unknown>;

interface TestDef {
  name?: string;
  target_processors?: string;
  target_mapping?: string;
  environment?: Record<string, string>;
  /** Components replaced for the test, by label or JSON pointer (e.g. a processor that calls out). */
  mocks?: unknown;
  input_batch?: InputPart[];
  input_batches?: InputPart[][];
  output_batches?: Condition[][];
}

const TEST_SUFFIX = /_benthos_test\.ya?ml$/;

/** Runs the tests found at a config file, a `_benthos_test.yaml` file, or every YAML file under a directory. */
export interface TestOptions {
  /**
   * Benthos's `--log <level>`: the components' logs at that level (none, fatal, error, warn, info,
   * debug, trace, all) are written to stdout, as logfmt lines. By default they are discarded.
   */
  logLevel?: string;
}

export async function runConfigTests(pathOrDir: string, opts: TestOptions = {}): Promise<TestReport> {
  // `dir/...` is Benthos's "this directory and everything below it" (a directory is walked anyway).
  const path = pathOrDir.replace(/(^|[\\/])\.\.\.$/, "$1.");
  // A quoted glob (`'./configs/*.yaml'`) is expanded here, as Benthos does; one that matches
  // nothing is reported as a failed file rather than silently testing nothing.
  const paths = fg.isDynamicPattern(path) ? fg.sync(path, { onlyFiles: false }).sort() : [path];
  if (!paths.length) {
    const error = `no files match the pattern ${pathOrDir}`;
    return {
      ok: false,
      passed: 0,
      failed: 1,
      files: [{ config: pathOrDir, definition: pathOrDir, ok: false, tests: [], error }],
    };
  }
  const targets = paths.flatMap((p) => collect(resolve(p)));
  const files: TestFileResult[] = [];
  for (const t of targets) files.push(await runFile(t.config, t.definition, opts));
  const all = files.flatMap((f) => f.tests);
  const passed = all.filter((t) => t.ok).length;
  const failed = all.length - passed + files.filter((f) => f.error).length;
  return { ok: failed === 0, passed, failed, files };
}

function collect(path: string): { config: string; definition: string }[] {
  const out: { config: string; definition: string }[] = [];
  const consider = (file: string, explicit: boolean) => {
    if (TEST_SUFFIX.test(file)) {
      const base = file.replace(TEST_SUFFIX, "");
      const config = [".yaml", ".yml"].map((e) => base + e).find((f) => existsSync(f)) ?? base + ".yaml";
      out.push({ config, definition: file });
      return;
    }
    if (!/\.ya?ml$/.test(file)) return;
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, "utf8"), { merge: true });
    } catch {
      if (explicit) out.push({ config: file, definition: file });
      return;
    }
    if (doc && typeof doc === "object" && Array.isArray((doc as { tests?: unknown }).tests))
      out.push({ config: file, definition: file });
    else if (explicit) {
      const sibling = [
        file.replace(/\.ya?ml$/, "_benthos_test.yaml"),
        file.replace(/\.ya?ml$/, "_benthos_test.yml"),
      ].find(existsSync);
      if (sibling) out.push({ config: file, definition: sibling });
    }
  };
  if (statSync(path).isDirectory()) {
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
        a.name.localeCompare(b.name),
      )) {
        const full = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== "node_modules" && !e.name.startsWith(".")) walk(full);
        } else consider(full, false);
      }
    };
    walk(path);
  } else consider(path, true);
  return out;
}

async function runFile(
  configPath: string,
  definitionPath: string,
  opts: TestOptions,
): Promise<TestFileResult> {
  const result: TestFileResult = { config: configPath, definition: definitionPath, ok: true, tests: [] };
  let defs: TestDef[];
  let configText: string;
  try {
    configText = readFileSync(configPath, "utf8");
    const defDoc = parseYaml(readFileSync(definitionPath, "utf8"), { merge: true }) as {
      tests?: TestDef[];
    } | null;
    defs = defDoc?.tests ?? [];
    if (!Array.isArray(defs)) throw new Error("tests must be an array");
  } catch (err) {
    return { ...result, ok: false, error: errorMessage(err) };
  }
  for (const [i, def] of defs.entries()) {
    const tc = await runCase(def, configText, configPath, dirname(definitionPath), opts).catch(
      (err): TestCaseResult => ({ name: def.name ?? `test ${i}`, ok: false, failures: [errorMessage(err)] }),
    );
    if (!tc.name) tc.name = `test ${i}`;
    result.tests.push(tc);
  }
  result.ok = result.tests.every((t) => t.ok);
  return result;
}

async function runCase(
  def: TestDef,
  configText: string,
  configPath: string,
  baseDir: string,
  opts: TestOptions,
): Promise<TestCaseResult> {
  const name = def.name ?? "";
  const env = { ...process.env, ...(def.environment ?? {}) };
  // `other.yaml#/pipeline/processors` targets processors of another config, relative to the test file.
  let target = def.target_processors || "/pipeline/processors";
  const hash = target.indexOf("#");
  if (hash >= 0) {
    const file = target.slice(0, hash);
    target = target.slice(hash + 1);
    if (file) {
      configPath = resolve(baseDir, file);
      configText = readFileSync(configPath, "utf8");
    }
    if (!target)
      throw new Error(
        `failed to target processors '${def.target_processors}': reference URI must contain a path or fragment`,
      );
  }
  // As in Benthos, the test's environment is set while the config and its processors are built:
  // `${VAR}` and env() (read once, when a mapping is built) see it; it is restored right after.
  const restoreEnv = withEnvironment(def.environment);
  let config: EngineConfig;
  let ctx: BuildContext;
  let resources: ResourceSet;
  let procs: Processor[];
  const hardStop = new AbortController();
  try {
    config = loadConfig(withoutUnusedIO(configText, target, (def.mocks ?? {}) as Record<string, unknown>), {
      env,
      path: configPath,
    });
    resources = new ResourceSet(config, {
      input: buildInput,
      processor: buildProcessor,
      output: buildOutput,
    });
    ctx = {
      config,
      resources,
      logger: opts.logLevel
        ? makeLogger(
            {
              level: opts.logLevel,
              format: "logfmt",
              add_timestamp: false,
              static_fields: { "@service": "benthos" },
            },
            undefined,
            undefined,
            (line) => process.stdout.write(line),
          )
        : makeLogger(config.logger, () => {}),
      metrics: new MetricsRegistry(),
      signal: hardStop.signal,
      nats: new NatsPool(env).lease(),
      http: new HttpServerRegistry(),
      env,
    };
    resources.ctx = ctx;
    procs = def.target_mapping
      ? [mappingFromFile(join(baseDir, def.target_mapping))]
      : targetProcessors(config, target).map((c) => buildProcessor(c, ctx));
  } finally {
    restoreEnv();
  }
  // input_batches first, then input_batch (Benthos accepts both in one test).
  const inputs: InputPart[][] = [
    ...(def.input_batches ?? []),
    ...(def.input_batch?.length ? [def.input_batch] : []),
  ];
  const outputs: Batch[] = [];
  const failures: string[] = [];
  try {
    for (const parts of inputs) {
      const batch = parts.map((p) => inputMessage(p, baseDir));
      outputs.push(...(await runProcessors(procs, [batch])));
    }
  } finally {
    hardStop.abort();
    await Promise.allSettled(procs.map((p) => p.close?.()));
    await resources.closeAll();
    await ctx.nats.closeAll();
  }

  // Failure texts are Benthos's own, in its order.
  const expected = def.output_batches ?? [];
  if (outputs.length < expected.length)
    failures.push(`wrong batch count, expected ${expected.length}, got ${outputs.length}`);
  outputs.forEach((batch, b) => {
    if (b >= expected.length) {
      failures.push(`unexpected batch: [${batch.map((m) => m.text).join(" ")}]`);
      return;
    }
    const want = expected[b];
    if (want.length !== batch.length)
      failures.push(
        `mismatch of output batch ${b} message counts, expected ${want.length}, got ${batch.length}`,
      );
    batch.forEach((msg, m) => {
      if (m >= want.length) {
        failures.push(`unexpected message from batch ${b}: ${msg.text}`);
        return;
      }
      const errs = checkConditions(want[m], batch, m, baseDir);
      for (const f of errs) failures.push(`batch ${b} message ${m}: ${f}`);
      if (msg.error && errs.length) failures.push(`batch ${b} message ${m}: ${msg.error.message}`);
    });
  });
  return { name, ok: failures.length === 0, failures };
}

/** Sets variables in process.env; the returned function puts back what was there. */
function withEnvironment(vars: Record<string, string> | undefined): () => void {
  if (!vars) return () => {};
  const before = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(vars)) {
    before.set(k, process.env[k]);
    process.env[k] = String(v);
  }
  return () => {
    for (const [k, v] of before) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/**
 * Tests never run the input, buffer or output (as in Benthos), so those sections are dropped unless
 * the target points into them: a test of the processors passes even when, say, the input is Kafka.
 */
function withoutUnusedIO(text: string, target: string, mocks: Record<string, unknown>): string {
  const doc = parseDocument(text);
  if (doc.errors.length) return text;
  // Mocks replace components before anything is checked, so a mocked component may even be one the
  // engine does not support (an `http` processor stubbed by a `mapping`).
  for (const [key, mock] of Object.entries(mocks)) {
    if (key.startsWith("/")) {
      const path = key
        .slice(1)
        .split("/")
        .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg.replace(/~1/g, "/").replace(/~0/g, "~")));
      // The JSON pointer token `-` is "after the last element": the mock is appended there.
      if (path[path.length - 1] === "-") {
        const parent = path.slice(0, -1);
        const seq = doc.getIn(parent, true);
        if (isSeq(seq)) seq.add(doc.createNode(mock));
        else doc.setIn(parent, doc.createNode([mock]));
      } else doc.setIn(path, doc.createNode(mock));
      continue;
    }
    const created = new Set<unknown>();
    visit(doc, {
      Map(_, map) {
        if (created.has(map)) return visit.SKIP;
        if (map.get("label") !== key) return undefined;
        const replacement = doc.createNode({ label: key, ...(mock as object) });
        created.add(replacement);
        return replacement;
      },
    });
  }
  doc.delete("buffer");
  // Only the processors of the input and output can be targets: keep those, drop the component.
  for (const [section, stand_in] of [
    ["input", "stdin"],
    ["output", "drop"],
  ] as const) {
    const node = doc.get(section, true);
    const procs = isMap(node) ? node.get("processors", true) : undefined;
    const label = isMap(node) ? node.get("label") : undefined;
    doc.set(section, doc.createNode({ [stand_in]: {} }));
    if (procs && target.startsWith(`/${section}/`)) doc.setIn([section, "processors"], procs);
    if (label) doc.setIn([section, "label"], label);
  }
  return doc.toString();
}

function mappingFromFile(path: string): Processor {
  const m = compile(readFileSync(path, "utf8"));
  return {
    async process(batch: Batch): Promise<Batch[]> {
      const out: Batch = [];
      batch.forEach((msg, i) => {
        const res = m.exec(execInput(batch, i));
        if (res.deleted) return;
        msg.metadata = res.metadata;
        if (res.value instanceof Uint8Array) msg.setContent(res.value);
        else if (res.value !== undefined) msg.setValue(res.value);
        out.push(msg);
      });
      return [out];
    },
  };
}

function inputMessage(p: InputPart, baseDir: string): Message {
  const meta = { ...(p.metadata ?? {}) };
  if (p.file_content !== undefined)
    return new Message(new Uint8Array(readFileSync(join(baseDir, p.file_content))), meta);
  if (p.json_content !== undefined) return new Message(JSON.stringify(p.json_content), meta);
  return new Message(p.content ?? "", meta);
}

/** `target_processors`: a JSON pointer into the config (`/pipeline/processors`, `/pipeline/processors/1`, …) or a processor label. */
export function targetProcessors(config: EngineConfig, target: string): ComponentConfig[] {
  const all: ComponentConfig[] = [];
  const visit = (v: unknown) => {
    if (!v || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach(visit);
    const o = v as Record<string, unknown>;
    if (typeof o.type === "string" && typeof o.path === "string" && Array.isArray(o.processors))
      all.push(o as unknown as ComponentConfig);
    for (const x of Object.values(o)) visit(x);
  };
  visit({ ...config, tests: [] });
  if (!target.startsWith("/")) {
    const hit = all.find((c) => c.label === target);
    if (!hit) throw new Error(`no processor labelled ${target}`);
    return [hit];
  }
  const path = target
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .join(".");
  const exact = all.find((c) => c.path === path && /\.\d+$/.test(path));
  if (exact) return [exact];
  const re = new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d+)$`);
  const list = all
    .filter((c) => re.test(c.path))
    .sort((a, b) => Number(re.exec(a.path)![1]) - Number(re.exec(b.path)![1]));
  if (!list.length && !/processors$/.test(path))
    throw new Error(`target_processors ${target} does not point at processors`);
  return list;
}

function checkConditions(cond: Condition, batch: Batch, i: number, baseDir: string): string[] {
  const msg = batch[i];
  const fails: string[] = [];
  const parse = (): unknown => {
    try {
      return JSON.parse(msg.text);
    } catch {
      return undefined;
    }
  };
  // A condition given as a string is JSON text (Benthos compares documents, not a YAML string).
  const asJson = (want: unknown): unknown => {
    if (typeof want !== "string") return want;
    try {
      return JSON.parse(want);
    } catch {
      return want;
    }
  };
  const readRel = (file: string, what: string): string => {
    try {
      return readFileSync(join(baseDir, file), "utf8");
    } catch (err) {
      throw new Error(`failed to read comparison ${what}file: ${errorMessage(err)}`);
    }
  };
  const jsonEquals = (want: unknown) => {
    if (!isDeepStrictEqual(parse(), want))
      return `JSON content mismatch\n  expected: ${JSON.stringify(want)}\n  received: ${msg.text}`;
  };
  const jsonContains = (want: unknown) => {
    if (!contains(parse(), want))
      return `JSON superset mismatch\n  expected to contain: ${JSON.stringify(want)}\n  received: ${msg.text}`;
  };
  // Benthos checks conditions in the order of their names.
  for (const kind of Object.keys(cond).sort()) {
    const want = cond[kind];
    let fail: string | undefined;
    try {
      switch (kind) {
        case "content_equals":
          if (msg.text !== String(want))
            fail = `content mismatch\n  expected: ${String(want)}\n  received: ${msg.text}`;
          break;
        case "content_matches":
          if (!new RegExp(String(want)).test(msg.text))
            fail = `pattern mismatch\n   pattern: ${String(want)}\n  received: ${msg.text}`;
          break;
        case "json_equals":
          fail = jsonEquals(asJson(want));
          break;
        case "json_contains":
          fail = jsonContains(asJson(want));
          break;
        case "metadata_equals":
          for (const [k, v] of Object.entries((want ?? {}) as Record<string, unknown>)) {
            if (!(k in msg.metadata)) {
              fail = `metadata key '${k}' expected but not found`;
              break;
            }
            const got = msg.metadata[k];
            if (!(isDeepStrictEqual(got, v) || String(got) === String(v))) {
              fail = `metadata key '${k}' mismatch\n  expected: ${String(v)}\n  received: ${String(got)}`;
              break;
            }
          }
          break;
        case "bloblang": {
          const v = compile(String(want)).query(execInput(batch, i));
          if (v !== true) fail = "bloblang expression was false";
          break;
        }
        case "file_equals": {
          const exp = readRel(String(want), "");
          if (msg.text !== exp) fail = `content mismatch\n  expected: ${exp}\n  received: ${msg.text}`;
          break;
        }
        case "file_json_equals":
          fail = jsonEquals(JSON.parse(readRel(String(want), "JSON ")));
          break;
        case "file_json_contains":
          fail = jsonContains(JSON.parse(readRel(String(want), "JSON ")));
          break;
        default:
          fail = `condition ${kind} is not supported`;
      }
    } catch (err) {
      fail = errorMessage(err);
    }
    if (fail) fails.push(`${kind}: ${fail}`);
  }
  return fails;
}

/** JSON superset check: every field of `want` is present with a containing value in `got`. */
function contains(got: unknown, want: unknown): boolean {
  if (want === null || typeof want !== "object") return isDeepStrictEqual(got, want);
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return false;
    return want.every((w) => got.some((g) => contains(g, w)));
  }
  if (!got || typeof got !== "object" || Array.isArray(got)) return false;
  return Object.entries(want).every(
    ([k, v]) => k in (got as object) && contains((got as Record<string, unknown>)[k], v),
  );
}
