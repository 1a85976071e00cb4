// Public surface of the Bloblang interpreter.
//
// Value form (what `ExecInput.value`, `ExecResult.value` and metadata values hold):
//   null, boolean, string; int64 → bigint (exact, wrapped to 64 bits); float64 → number;
//   bytes → Uint8Array; timestamps → an internal Timestamp object; arrays; plain objects;
//   `.int32()`/`.uint32()`/`.uint64()`/`.float32()` results → an internal width-typed number.
// Use parseJson/fromPlain to build values and toJson/toBytes/toPlain to get them out; never rely on
// the internal classes directly (plain JS numbers passed in `value` are read as float64).
import "./stdlib";
import { BloblangCompileError, BloblangError } from "./errors";
import { parseMapping } from "./parser";
import type { Program } from "./parser";
import { run, type RunInput } from "./exec";
import { parseJsonText, fromPlainValue, toPlainValue } from "./json";
import { toJsonText } from "./format";
import { Timestamp, fromUtf8, utf8 } from "./value";
import { compileInterpolationImpl } from "./interpolation";
import { readFileSync } from "node:fs";
import { resolve as resolvePath, isAbsolute } from "node:path";

export { BloblangError, BloblangCompileError };

/** A message to run a mapping on: content bytes and/or a value (`this`), metadata, error. */
export type ExecInput = RunInput;
export interface ExecResult {
  deleted: boolean;
  value: unknown;
  metadata: Record<string, unknown>;
}
export interface Mapping {
  exec(input: ExecInput, opts?: { mode?: "mapping" | "mutation" }): ExecResult;
  query(input: ExecInput): unknown;
}
export interface Interpolation {
  isStatic: boolean;
  render(input: ExecInput): string;
  renderBytes(input: ExecInput): Uint8Array;
}

function makeImporter(opts: { files?: Record<string, string>; importDir?: string }) {
  return (path: string): string => {
    const files = opts.files;
    if (files) {
      if (Object.hasOwn(files, path)) return files[path];
      const trimmed = path.replace(/^\.\//, "");
      if (Object.hasOwn(files, trimmed)) return files[trimmed];
      if (!opts.importDir) throw new Error(`import "${path}" not found`);
    }
    const dir = opts.importDir ?? process.cwd();
    const full = isAbsolute(path) ? path : resolvePath(dir, path);
    try {
      return readFileSync(full, "utf8");
    } catch (e) {
      throw new Error((e as Error).message);
    }
  };
}

export function compile(
  source: string,
  opts: { files?: Record<string, string>; importDir?: string } = {},
): Mapping {
  let prog: Program;
  try {
    prog = parseMapping(source, { importer: makeImporter(opts) });
  } catch (e) {
    if (e instanceof BloblangCompileError) throw e;
    if (e instanceof BloblangError) throw new BloblangCompileError(e.message);
    throw e;
  }
  return {
    exec(input, o) {
      return run(prog, input, o?.mode ?? "mapping");
    },
    query(input) {
      const r = run(prog, input, "mapping");
      return r.value;
    },
  };
}

export function compileInterpolation(template: string): Interpolation {
  return compileInterpolationImpl(template);
}

export function parseJson(bytes: Uint8Array | string): unknown {
  const text = typeof bytes === "string" ? bytes : fromUtf8(bytes);
  try {
    return parseJsonText(text);
  } catch (e) {
    throw new BloblangError(`failed to parse JSON: ${(e as Error).message}`);
  }
}

export function toJson(value: unknown): string {
  // message bytes are encoded without HTML escaping (unlike format_json / .string())
  return toJsonText(value, { escapeHtml: false });
}

export function toBytes(value: unknown): Uint8Array {
  if (typeof value === "string") return utf8(value);
  if (value instanceof Uint8Array) return value;
  return utf8(toJsonText(value, { escapeHtml: false }));
}

export function fromPlain(value: unknown): unknown {
  return fromPlainValue(value);
}
export function toPlain(value: unknown): unknown {
  return toPlainValue(value);
}

/** True when `v` is a bloblang timestamp value. */
export function isTimestamp(v: unknown): boolean {
  return v instanceof Timestamp;
}
