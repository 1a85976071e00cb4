// `${VAR}` / `${VAR:default}` expansion over the raw config text, before parsing, by Benthos's rules
// (internal/config/env_vars.go), so a config means the same on every engine:
// - names are `[0-9A-Za-z_.]+`; a default may contain colons and `${…}` (kept as written);
// - a default replaces a variable that is unset or empty; an unset variable without a default is
//   an error (Benthos refuses to lint or run), a set-but-empty one is "";
// - newlines in values become `\n`, so a value cannot add lines to the YAML;
// - `${{VAR}}` is a literal `${VAR}` (Benthos's escape), and so is `$${VAR}` (reef's);
// - `${! … }` (Bloblang interpolation) is not a variable and is left alone.
export interface MissingEnvVar {
  name: string;
  line: number;
  column: number;
}

const REF = String.raw`\$\{[0-9A-Za-z_.]+(?::(?:\$\{[^}]+\}|[^}])*)?\}`;
/** A reference, with reef's `$` escape in front: `$${VAR}`. */
const VAR_RE = new RegExp(String.raw`(\$?)(${REF})`, "g");
/** Benthos's escape: `${{VAR}}` / `${{VAR:default}}` stands for `${VAR}` / `${VAR:default}`. */
const ESCAPED_RE = new RegExp(String.raw`\$\{(\{[0-9A-Za-z_.]+(?::(?:\$\{[^}]+\}|[^}])*)?\})\}`, "g");
const REF_RE = new RegExp(REF, "g");

export function expandEnv(
  text: string,
  env: NodeJS.ProcessEnv = process.env,
): { text: string; missing: MissingEnvVar[] } {
  return expand(text, env, true);
}

function expand(
  text: string,
  env: NodeJS.ProcessEnv,
  dollarEscape: boolean,
): { text: string; missing: MissingEnvVar[] } {
  const missing: MissingEnvVar[] = [];
  const where = lineCounter(text);
  const replaced = text.replace(VAR_RE, (whole, escape: string, ref: string, offset: number) => {
    if (escape && dollarEscape) return ref;
    const body = ref.slice(2, -1);
    const colon = body.indexOf(":");
    const name = colon < 0 ? body : body.slice(0, colon);
    let value = env[name];
    if (colon >= 0 && !value) value = body.slice(colon + 1);
    if (value === undefined) {
      missing.push({ name, ...where(offset + escape.length) });
      value = "";
    }
    return escape + value.replace(/\n/g, "\\n");
  });
  return { text: replaced.replace(ESCAPED_RE, "$$$1"), missing };
}

/**
 * The text to hand an engine that expands `${VAR}`s itself (a Benthos binary) when `text` is
 * expanded already: every reference left in it is escaped, so the binary's expansion gives back
 * `text` exactly. Returns undefined when no escaping can (`${{VAR}}` in the text itself, or a
 * `${…}` inside the default of a reference), so the caller can refuse rather than run the wrong thing.
 */
export function escapeEnv(text: string): string | undefined {
  const escaped = text.replace(REF_RE, (ref) => `\${{${ref.slice(2, -1)}}}`);
  const back = expand(escaped, {}, false);
  return back.missing.length === 0 && back.text === text ? escaped : undefined;
}

/** Line and column (1-based) of offsets, asked in increasing order: one pass over the text. */
function lineCounter(text: string): (offset: number) => { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  let at = 0;
  return (offset) => {
    for (; at < offset; at++) {
      if (text.charCodeAt(at) === 10) {
        line++;
        lineStart = at + 1;
      }
    }
    return { line, column: offset - lineStart + 1 };
  };
}
