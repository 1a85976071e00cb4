// The one check every Benthos config passes before reef stores or runs it (publish, apply, converge,
// graph): it is YAML, and a mapping. Anything deeper is lint's job (lib/engine, or the binary's).
import { parseDocument } from "yaml";
import { InvalidConfigError } from "./errors";

/**
 * Parses a config; throws InvalidConfigError (INVALID_CONFIG, with `line`/`column` when known)
 * naming `what` ("config of orders", "config orders/3") when it is not a YAML mapping.
 */
export function parseConfigYaml(what: string, text: string | Uint8Array): Record<string, unknown> {
  const source = typeof text === "string" ? text : new TextDecoder().decode(text);
  // The library's limits apply (alias expansion is capped): no hand-expansion of anything here.
  const doc = parseDocument(source, { prettyErrors: true });
  const problem = doc.errors[0];
  if (problem) {
    const pos = problem.linePos?.[0];
    throw new InvalidConfigError(
      `${what} is not valid YAML: ${pos ? `${pos.line}:${pos.col}: ` : ""}${problem.message.split("\n")[0]}`,
      { line: pos?.line, column: pos?.col },
    );
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // e.g. more aliases than the library allows (an alias bomb)
    throw new InvalidConfigError(`${what} cannot be read: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidConfigError(`${what} must be a YAML mapping (input, pipeline, output, …)`);
  }
  return value as Record<string, unknown>;
}
