// Runs Bloblang conformance YAML cases (format: shared/conformance/bloblang/README.md) against this
// interpreter. Used by the `npm run conformance` CLI and the vitest ratchet.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import YAML from "yaml";
import { BloblangCompileError, compile } from "./index";
import type { Mapping } from "./index";
import { GoNum, Timestamp, isObject } from "./value";
import { parseTime, RFC3339Nano } from "./time";
import { toJsonText } from "./format";

export interface CaseResult {
  file: string;
  test: string;
  case?: string;
  status: "pass" | "fail" | "skip";
  reason?: string;
}

export interface ConformanceSummary {
  passed: number;
  failed: number;
  skipped: number;
  results: CaseResult[];
}

/** Wrapper marking an expected value of a numeric type the value form does not distinguish. */
class Typed {
  constructor(
    readonly type: string,
    readonly value: unknown,
  ) {}
}

function listYaml(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listYaml(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

function parseFloatSpecial(s: string): number {
  if (s === "NaN") return NaN;
  if (s === "Infinity") return Infinity;
  if (s === "-Infinity") return -Infinity;
  if (s === "-0.0") return -0;
  return Number(s);
}

/** Decodes `{_type, value}` annotations; plain YAML ints are bigint (int64), decimals numbers. */
export function decodeTyped(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeTyped);
  if (typeof v === "number" && Number.isInteger(v) && !Object.is(v, -0)) return v; // float kept as number
  if (v !== null && typeof v === "object" && !(v instanceof Uint8Array)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 2 && typeof o._type === "string" && typeof o.value === "string") {
      const s = o.value;
      switch (o._type) {
        case "int64":
          return BigInt(s);
        case "int32":
        case "uint32":
        case "uint64":
          return new Typed(o._type, BigInt(s));
        case "float64":
          return parseFloatSpecial(s);
        case "float32":
          return new Typed("float32", Math.fround(parseFloatSpecial(s)));
        case "bytes":
          return new Uint8Array(Buffer.from(s, "base64"));
        case "timestamp":
          return parseTime(RFC3339Nano, s);
      }
      throw new Error(`unknown _type ${String(o._type)}`);
    }
    const out: Record<string, unknown> = {};
    for (const k of keys)
      Object.defineProperty(out, k, {
        value: decodeTyped(o[k]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return v;
}

function unwrapTyped(v: unknown): unknown {
  if (v instanceof Typed) return new GoNum(v.type as GoNum["kind"], v.value as bigint | number);
  if (Array.isArray(v)) return v.map(unwrapTyped);
  if (isObject(v)) {
    for (const k of Object.keys(v)) v[k] = unwrapTyped(v[k]);
  }
  return v;
}

function describe(v: unknown): string {
  if (v instanceof Typed) return `${v.type}(${String(v.value)})`;
  if (v instanceof GoNum) return `${v.kind}(${String(v.v)})`;
  try {
    return `${toJsonText(v)} (${kind(v)})`;
  } catch {
    return String(v);
  }
}
function kind(v: unknown): string {
  if (v instanceof GoNum) return v.kind;
  if (typeof v === "bigint") return "int64";
  if (typeof v === "number") return "float64";
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof Timestamp) return "timestamp";
  return typeof v === "object" ? "object" : typeof v;
}

/** Deep equality with types: int64 ≠ float64, NaN = NaN, 0 = -0, timestamps by instant. */
export function deepEqual(exp: unknown, act: unknown, path = "root"): string | null {
  if ((exp === null || exp === undefined) && (act === null || act === undefined)) return null;
  if (exp instanceof Typed) {
    if (act instanceof GoNum && act.kind === exp.type) {
      const same =
        typeof act.v === "number"
          ? act.v === exp.value || (Number.isNaN(act.v) && Number.isNaN(exp.value as number))
          : act.v === exp.value;
      if (same) return null;
    }
    return `${path}: expected ${describe(exp)}, got ${describe(act)}`;
  }
  if (exp === null || act === null || act === undefined)
    return `${path}: expected ${describe(exp)}, got ${describe(act)}`;
  if (kind(exp) !== kind(act))
    return `${path}: type mismatch: expected ${describe(exp)}, got ${describe(act)}`;
  if (typeof exp === "number") {
    const a = act as number;
    if (Number.isNaN(exp) && Number.isNaN(a)) return null;
    if (exp === a) return null;
    return `${path}: float64 mismatch: expected ${exp}, got ${a}`;
  }
  if (exp instanceof Timestamp) {
    const a = act as Timestamp;
    return exp.nanos === a.nanos
      ? null
      : `${path}: timestamp mismatch: expected ${describe(exp)}, got ${describe(act)}`;
  }
  if (exp instanceof Uint8Array) {
    const a = act as Uint8Array;
    return Buffer.from(exp).equals(Buffer.from(a))
      ? null
      : `${path}: bytes mismatch: expected ${describe(exp)}, got ${describe(act)}`;
  }
  if (Array.isArray(exp)) {
    const a = act as unknown[];
    if (exp.length !== a.length)
      return `${path}: array length mismatch: expected ${exp.length}, got ${a.length}`;
    for (let i = 0; i < exp.length; i++) {
      const d = deepEqual(exp[i], a[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (isObject(exp)) {
    const a = act as Record<string, unknown>;
    const ek = Object.keys(exp).sort();
    const ak = Object.keys(a).sort();
    const missing = ek.filter((k) => !Object.hasOwn(a, k));
    const extra = ak.filter((k) => !Object.hasOwn(exp, k));
    if (missing.length || extra.length)
      return [
        ...missing.map((k) => `${path}: missing key "${k}"`),
        ...extra.map((k) => `${path}: unexpected key "${k}"`),
      ].join("\n");
    for (const k of ek) {
      const d = deepEqual(exp[k], a[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return exp === act ? null : `${path}: expected ${describe(exp)}, got ${describe(act)}`;
}

type Spec = Record<string, unknown>;

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function runCase(mapping: Mapping, c: Spec): string | null {
  const input = Object.hasOwn(c, "input") ? unwrapTyped(decodeTyped(c.input)) : null;
  const meta = c.input_metadata
    ? (unwrapTyped(decodeTyped(c.input_metadata)) as Record<string, unknown>)
    : {};
  let res;
  const wantsError = Object.hasOwn(c, "error");
  try {
    res = mapping.exec({ value: input, metadata: meta });
  } catch (e) {
    if (e instanceof BloblangCompileError)
      return `expected a runtime error, got compile error: ${errMessage(e)}`;
    if (wantsError) {
      const sub = c.error == null ? "" : String(c.error);
      return errMessage(e).includes(sub)
        ? null
        : `runtime error "${errMessage(e)}" does not contain "${sub}"`;
    }
    return `unexpected runtime error: ${errMessage(e)}`;
  }
  if (wantsError)
    return `expected runtime error containing "${String(c.error ?? "")}", but execution succeeded`;
  if (c.deleted === true) return res.deleted ? null : "expected message to be deleted, but it was not";
  if (res.deleted) return "message was unexpectedly deleted";
  const out = res.value === undefined ? input : res.value;
  if (c.no_output_check === true) {
    if (typeof c.output_type === "string") {
      const k = kind(out);
      const t = k === "int64" || k === "float64" ? k : k === "bool" ? "bool" : k;
      const want = c.output_type;
      const okNum = want === "number" && (k === "int64" || k === "float64");
      if (t !== want && !okNum && !(want === "bool" && typeof out === "boolean"))
        return `output type: expected "${want}", got "${typeof out === "boolean" ? "bool" : t}"`;
    }
  } else {
    const d = deepEqual(decodeTyped(c.output), out);
    if (d) return `output mismatch:\n${d}`;
  }
  if (c.no_metadata_check !== true) {
    const exp = c.output_metadata ? decodeTyped(c.output_metadata) : {};
    const d = deepEqual(exp, res.metadata, "meta");
    if (d) return `output metadata mismatch:\n${d}`;
  }
  return null;
}

export function runConformance(dir: string, filter?: string): ConformanceSummary {
  const results: CaseResult[] = [];
  for (const path of listYaml(dir)) {
    const file = relative(dir, path);
    let doc: Spec;
    try {
      doc = YAML.parse(readFileSync(path, "utf8"), { intAsBigInt: true }) as Spec;
    } catch (e) {
      results.push({ file, test: "(load)", status: "fail", reason: errMessage(e) });
      continue;
    }
    const files = (doc.files ?? {}) as Record<string, string>;
    for (const t of (doc.tests ?? []) as Spec[]) {
      const name = String(t.name);
      const cases = t.cases as Spec[] | undefined;
      const ids = cases ? cases.map((c) => `${file}/${name}/${String(c.name)}`) : [`${file}/${name}`];
      if (filter && !ids.some((id) => id.includes(filter))) continue;
      if (typeof t.skip === "string" && t.skip) {
        if (cases)
          for (const c of cases)
            results.push({ file, test: name, case: String(c.name), status: "skip", reason: t.skip });
        else results.push({ file, test: name, status: "skip", reason: t.skip });
        continue;
      }
      const allFiles = { ...files, ...((t.files ?? {}) as Record<string, string>) };
      let mapping: Mapping | null = null;
      let compileErr: unknown = null;
      try {
        mapping = compile(String(t.mapping ?? ""), { files: allFiles });
      } catch (e) {
        compileErr = e;
      }
      if (!cases) {
        let reason: string | null;
        if (typeof t.compile_error === "string" && t.compile_error) {
          if (!compileErr)
            reason = `expected compile error containing "${t.compile_error}", but compilation succeeded`;
          else if (!(compileErr instanceof BloblangCompileError))
            reason = `expected a compile error, got ${errMessage(compileErr)}`;
          else
            reason = errMessage(compileErr).includes(t.compile_error)
              ? null
              : `compile error "${errMessage(compileErr)}" does not contain "${t.compile_error}"`;
        } else if (compileErr) reason = `unexpected compile error: ${errMessage(compileErr)}`;
        else reason = safeRun(mapping!, t);
        results.push({ file, test: name, status: reason ? "fail" : "pass", ...(reason ? { reason } : {}) });
        continue;
      }
      for (const c of cases) {
        const cname = String(c.name);
        if (filter && !`${file}/${name}/${cname}`.includes(filter)) continue;
        if (typeof c.skip === "string" && c.skip) {
          results.push({ file, test: name, case: cname, status: "skip", reason: c.skip });
          continue;
        }
        const reason = compileErr
          ? `unexpected compile error: ${errMessage(compileErr)}`
          : safeRun(mapping!, c);
        results.push({
          file,
          test: name,
          case: cname,
          status: reason ? "fail" : "pass",
          ...(reason ? { reason } : {}),
        });
      }
    }
  }
  return {
    passed: results.filter((r) => r.status === "pass").length,
    failed: results.filter((r) => r.status === "fail").length,
    skipped: results.filter((r) => r.status === "skip").length,
    results,
  };
}

function safeRun(m: Mapping, c: Spec): string | null {
  try {
    return runCase(m, c);
  } catch (e) {
    return `harness error: ${errMessage(e)}`;
  }
}

export function summaryLine(s: ConformanceSummary): string {
  return `bloblang conformance: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
}
