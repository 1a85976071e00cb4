// Function and method registry with Go-compatible parameter handling: positional or named args,
// defaults, compile-time checks of literal args, and per-execution resolution of dynamic args.
import type { Arg, Fn } from "./runtime";
import { Ctx, NONE } from "./runtime";
import type { Value } from "./value";
import { GoNum, Timestamp, typeOf } from "./value";
import { BloblangError, errFrom, rtErr } from "./errors";
import { getBool, getInt, getNumber, getTimestamp } from "./coerce";

export type PType =
  "string" | "integer" | "float" | "number" | "bool" | "array" | "object" | "query" | "timestamp" | "unknown";

export interface ParamDef {
  name: string;
  type: PType;
  optional?: boolean;
  default?: Value;
  noDynamic?: boolean;
  /** For query params: wrap literal scalars (Go's ScalarsToLiteral). */
  scalars?: boolean;
}

export type Params = ParamDef[] | "variadic";

export interface FunctionSpec {
  name: string;
  params: Params;
  ctor: (args: Value[]) => Fn;
}
export interface MethodSpec {
  name: string;
  params: Params;
  ctor: (target: Fn, args: Value[]) => Fn;
}

const functions = new Map<string, FunctionSpec>();
const methods = new Map<string, MethodSpec>();

export function registerFunction(spec: FunctionSpec): void {
  functions.set(spec.name, spec);
}
export function registerMethod(spec: MethodSpec): void {
  methods.set(spec.name, spec);
}
export function functionNames(): string[] {
  return [...functions.keys()].sort();
}
export function methodNames(): string[] {
  return [...methods.keys()].sort();
}

const keepsWidth = new Set(["int32", "uint32", "uint64", "float32", "type", "string", "bytes", "not_null"]);

/**
 * Methods Benthos registers through its public plugin API (internal/impl/pure): their errors are not
 * prefixed with the target's annotation, and the `Static()` ones fold at parse time on literal targets.
 */
const pluginMethods = new Set([
  "abs",
  "int64",
  "int32",
  "int16",
  "int8",
  "uint64",
  "uint32",
  "uint16",
  "uint8",
  "float64",
  "float32",
  "pow",
  "sin",
  "cos",
  "tan",
  "compress",
  "decompress",
  "concat",
  "squash",
  "with",
  "zip",
  "parse_form_url_encoded",
]);
const staticPluginMethods = new Set([
  "ts_round",
  "ts_tz",
  "ts_add_iso8601",
  "ts_sub_iso8601",
  "parse_duration",
  "parse_duration_iso8601",
  "ts_parse",
  "parse_timestamp",
  "ts_strptime",
  "parse_timestamp_strptime",
  "ts_format",
  "format_timestamp",
  "ts_strftime",
  "format_timestamp_strftime",
  "ts_unix",
  "ts_unix_milli",
  "ts_unix_micro",
  "ts_unix_nano",
  "format_timestamp_unix",
  "format_timestamp_unix_milli",
  "format_timestamp_unix_micro",
  "format_timestamp_unix_nano",
  "ts_sub",
]);
for (const n of staticPluginMethods) pluginMethods.add(n);

/** A simple method: executes the target, then `fn(value, ctx)`; errors are prefixed with the target. */
export function simpleMethod(
  name: string,
  params: Params,
  prep: (args: Value[]) => (v: Value, ctx: Ctx) => Value,
): void {
  registerMethod({
    name,
    params,
    ctor(target, args) {
      const fn = prep(args);
      const te = target.exec.bind(target);
      if (pluginMethods.has(name)) {
        return {
          ann: "method " + name,
          exec(ctx) {
            let v = te(ctx);
            if (v instanceof GoNum && !keepsWidth.has(name)) v = v.v;
            return fn(v, ctx);
          },
        };
      }
      return {
        ann: "method " + name,
        exec(ctx) {
          let v = te(ctx);
          // Go width numerics behave as int64/float64 (ISanitize) inside ordinary methods
          if (v instanceof GoNum && !keepsWidth.has(name)) v = v.v;
          try {
            return fn(v, ctx);
          } catch (e) {
            throw errFrom(e, target.ann);
          }
        },
      };
    },
  });
}

/** A simple function: `fn(ctx)` with an annotation of "function <name>". */
export function simpleFunction(
  name: string,
  params: Params,
  prep: (args: Value[]) => (ctx: Ctx) => Value,
): void {
  registerFunction({
    name,
    params,
    ctor(args) {
      const fn = prep(args);
      return { ann: "function " + name, exec: fn };
    },
  });
}

function parseArgValue(d: ParamDef, v: Value): Value {
  switch (d.type) {
    case "integer":
      return getInt(v);
    case "float":
    case "number":
      return getNumber(v);
    case "string":
      if (typeof v === "string") return v;
      if (v instanceof Uint8Array) return new TextDecoder().decode(v);
      break;
    case "timestamp":
      return getTimestamp(v);
    case "bool":
      return getBool(v);
    case "array":
      if (Array.isArray(v)) return v;
      break;
    case "object":
      if (typeOf(v) === "object") return v;
      break;
    case "query":
      return v;
    case "unknown":
      return v;
  }
  throw rtErr(`wrong argument type, expected ${d.type}, got ${typeOf(v)}`);
}

function isFn(v: Value): v is Fn {
  return typeof v === "object" && v !== null && "exec" in (v as object) && "ann" in (v as object);
}

/** Matches parsed args to a params definition; non-literal args stay as Fn (dynamic). */
function populate(params: Params, args: Arg[]): Value[] {
  const named = args.filter((a) => a.name !== undefined);
  const nameless = args.filter((a) => a.name === undefined);
  if (named.length && nameless.length) throw new BloblangError("cannot mix named and nameless arguments");
  if (params === "variadic") {
    if (named.length) throw new BloblangError("named arguments are not supported");
    return nameless.map((a) => (a.fn.lit ? a.fn.lit.value : a.fn));
  }
  const raw: (Fn | undefined)[] = new Array(params.length).fill(undefined);
  if (named.length) {
    const seen = new Set<string>();
    const unexpected: string[] = [];
    for (const a of named) {
      if (seen.has(a.name!)) throw new BloblangError(`duplicate named arg: ${a.name}`);
      seen.add(a.name!);
      const idx = params.findIndex((p) => p.name === a.name);
      if (idx < 0) unexpected.push(a.name!);
      else raw[idx] = a.fn;
    }
    if (unexpected.length) {
      const opts = params.map((p) => p.name).join(", ");
      throw new BloblangError(
        `unknown parameter${unexpected.length > 1 ? "s" : ""} ${unexpected.join(", ")}, expected one of: [${opts}]`,
      );
    }
  } else {
    if (nameless.length > params.length)
      throw new BloblangError(`wrong number of arguments, expected ${params.length}, got ${nameless.length}`);
    nameless.forEach((a, i) => (raw[i] = a.fn));
  }
  const out: Value[] = new Array(params.length).fill(undefined);
  const missing: string[] = [];
  params.forEach((p, i) => {
    const a = raw[i];
    let v: Value;
    if (a === undefined) {
      if (p.default !== undefined) v = p.default;
      else if (p.optional) return;
      else {
        missing.push(p.name);
        return;
      }
    } else if (p.type === "query") {
      out[i] = a;
      return;
    } else if (a.lit) v = a.lit.value;
    else {
      if (p.noDynamic) throw new BloblangError(`param ${p.name} must not be dynamic`);
      out[i] = a;
      return;
    }
    try {
      out[i] = parseArgValue(p, v);
    } catch (e) {
      throw new BloblangError(`field ${p.name}: ${(e as Error).message}`);
    }
  });
  if (missing.length === 1) throw new BloblangError(`missing parameter: ${missing[0]}`);
  if (missing.length > 1) throw new BloblangError(`missing parameters: ${missing.join(", ")}`);
  return out;
}

function dynamicIdx(params: Params, values: Value[]): number[] {
  const out: number[] = [];
  values.forEach((v, i) => {
    if (params !== "variadic" && params[i].type === "query") return;
    if (isFn(v)) out.push(i);
  });
  return out;
}

function resolve(params: Params, values: Value[], dyn: number[], ctx: Ctx): Value[] {
  const out = values.slice();
  for (const i of dyn) {
    const d: ParamDef = params === "variadic" ? { name: String(i), type: "unknown" } : params[i];
    let v: Value;
    try {
      v = (values[i] as Fn).exec(ctx);
      out[i] = parseArgValue(d, v);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw rtErr(`failed to extract input arg '${d.name}': ${msg}`);
    }
  }
  return out;
}

export function lookupFunction(name: string, args: Arg[], _named: string[]): Fn {
  const spec = functions.get(name);
  if (!spec) throw new BloblangError(`unrecognised function '${name}'`);
  const values = populate(spec.params, args);
  const dyn = dynamicIdx(spec.params, values);
  if (dyn.length === 0) return spec.ctor(values);
  return {
    ann: "function " + name,
    exec(ctx) {
      let resolved: Value[];
      try {
        resolved = resolve(spec.params, values, dyn, ctx);
      } catch (e) {
        throw rtErr(`function '${name}': ${(e as Error).message}`);
      }
      return spec.ctor(resolved).exec(ctx);
    },
  };
}

function staticCtx(): Ctx {
  const msg = { content: undefined, metadata: {}, batchIndex: 0, batchSize: 1, valueFn: () => NONE };
  return new Ctx(NONE, NONE, null, {}, {}, null, null, msg, 0);
}

export function lookupMethod(name: string, target: Fn, args: Arg[], _named: string[]): Fn {
  const spec = methods.get(name);
  if (!spec) throw new BloblangError(`unrecognised method '${name}'`);
  const values = populate(spec.params, args);
  const dyn = dynamicIdx(spec.params, values);
  if (dyn.length === 0) {
    const fn = spec.ctor(target, values);
    if (staticPluginMethods.has(name) && target.lit) {
      // evaluated at parse time like Benthos' Static() plugins: failures are compile errors
      const value = fn.exec(staticCtx());
      return { ann: "method " + name, exec: () => value, lit: { value } };
    }
    return fn;
  }
  return {
    ann: "method " + name,
    exec(ctx) {
      let resolved: Value[];
      try {
        resolved = resolve(spec.params, values, dyn, ctx);
      } catch (e) {
        throw rtErr(`method '${name}': ${(e as Error).message}`);
      }
      return spec.ctor(target, resolved).exec(ctx);
    },
  };
}

export { Timestamp };
