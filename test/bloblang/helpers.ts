// Small helpers for the Bloblang unit tests: run a mapping on a plain JS input, get JSON text back.
import { compile, fromPlain, toJson } from "../../lib/bloblang";

export function run(mapping: string, input: unknown = null, metadata: Record<string, unknown> = {}): string {
  const r = compile(mapping).exec({ value: fromPlain(input), metadata });
  if (r.deleted) return "<deleted>";
  if (r.value === undefined) return "<nothing>";
  return toJson(r.value);
}

export function runErr(mapping: string, input: unknown = null): string {
  try {
    run(mapping, input);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`expected an error from: ${mapping}`);
}

export function compileErr(mapping: string): { code: string; message: string } {
  try {
    compile(mapping);
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error(`expected a compile error from: ${mapping}`);
}
