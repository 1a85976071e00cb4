// Go-compatible text renderings: strconv 'g' floats, JSON as encoding/json prints it, fmt's %v.
import type { Value, ValueObject } from "./value";
import { DELETE, GoNum, NIL_ARRAY, NOTHING, Timestamp, compareStrings, fromUtf8, isObject } from "./value";
import { formatTime, RFC3339Nano } from "./time";

/** strconv.FormatFloat(f, 'g', -1, 64) */
export function formatFloatG(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Infinity) return "+Inf";
  if (f === -Infinity) return "-Inf";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const [mant, expS] = f.toExponential().split("e");
  const exp = Number(expS);
  // shortest 'g' uses %e when the exponent is < -4 or >= 6 (Go's eprec for shortest formatting)
  if (exp < -4 || exp >= 6) return goExp(mant, exp);
  return String(f);
}
function goExp(mant: string, exp: number): string {
  const sign = exp < 0 ? "-" : "+";
  const a = Math.abs(exp);
  return `${mant}e${sign}${a < 10 ? "0" + a : a}`;
}

/** encoding/json float64 rendering */
export function formatFloatJSON(f: number): string {
  if (!Number.isFinite(f)) return Number.isNaN(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf";
  if (Object.is(f, -0)) return "-0";
  return String(f);
}

const htmlEsc: Record<string, string> = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026" };
/** Printable ASCII that JSON never escapes (no `"` or `\\`), with and without `<>&`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const PLAIN_NO_HTML = /^[\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\x5b\x5d-\x7e]*$/;
export function jsonString(s: string, escapeHtml = true): string {
  // most strings need no escaping at all: skip JSON.stringify and the checks below
  if ((escapeHtml ? PLAIN_NO_HTML : PLAIN).test(s)) return '"' + s + '"';
  let out = JSON.stringify(s);
  if (escapeHtml && /[<>&]/.test(out)) out = out.replace(/[<>&]/g, (c) => htmlEsc[c]);
  if (/[\u2028\u2029]/.test(out)) out = out.replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
  // Go replaces invalid UTF-8 / lone surrogates with U+FFFD; JSON.stringify escapes lone surrogates.
  if (/\\ud[89a-f]/i.test(out)) out = out.replace(/\\ud[89a-f][0-9a-f]{2}/gi, "\ufffd");
  return out;
}

export interface JsonOpts {
  escapeHtml?: boolean;
  indent?: string;
}

/** A bloblang value as JSON text, keys sorted, like Go's json.Marshal. */
export function toJsonText(v: Value, opts: JsonOpts = {}): string {
  const esc = opts.escapeHtml ?? true;
  const indent = opts.indent ?? "";
  if (!indent) return compactJson(v, esc);
  const parts: string[] = [];
  write(v, "");
  return parts.join("");

  function write(x: Value, pad: string): void {
    switch (typeof x) {
      case "string":
        parts.push(jsonString(x, esc));
        return;
      case "bigint":
        parts.push(x.toString());
        return;
      case "number":
        parts.push(formatFloatJSON(x));
        return;
      case "boolean":
        parts.push(x ? "true" : "false");
        return;
      case "undefined":
        parts.push("null");
        return;
    }
    if (x === null || x === DELETE || x === NOTHING) {
      parts.push("null");
      return;
    }
    if (Array.isArray(x)) {
      if (x.length === 0) {
        parts.push(x === NIL_ARRAY ? "null" : "[]");
        return;
      }
      const inner = pad + indent;
      parts.push("[");
      for (let i = 0; i < x.length; i++) {
        if (i > 0) parts.push(",");
        if (indent) parts.push("\n", inner);
        write(x[i], inner);
      }
      if (indent) parts.push("\n", pad);
      parts.push("]");
      return;
    }
    if (x instanceof Uint8Array) {
      parts.push('"', Buffer.from(x).toString("base64"), '"');
      return;
    }
    if (x instanceof Timestamp) {
      parts.push(jsonString(formatTime(x, RFC3339Nano), esc));
      return;
    }
    if (x instanceof GoNum) {
      parts.push(goNumText(x, true));
      return;
    }
    if (isObject(x)) {
      const keys = Object.keys(x).sort(compareStrings);
      if (keys.length === 0) {
        parts.push("{}");
        return;
      }
      const inner = pad + indent;
      parts.push("{");
      let first = true;
      for (const k of keys) {
        if (!first) parts.push(",");
        first = false;
        if (indent) parts.push("\n", inner);
        parts.push(jsonString(k, esc), indent ? ": " : ":");
        write((x as ValueObject)[k], inner);
      }
      if (indent) parts.push("\n", pad);
      parts.push("}");
      return;
    }
    parts.push("null");
  }
}

/** toJsonText without indentation, by string concatenation (the per-message path: message bytes). */
function compactJson(x: Value, esc: boolean): string {
  switch (typeof x) {
    case "string":
      return jsonString(x, esc);
    case "bigint":
      return x.toString();
    case "number":
      return formatFloatJSON(x);
    case "boolean":
      return x ? "true" : "false";
    case "undefined":
      return "null";
  }
  if (x === null || x === DELETE || x === NOTHING) return "null";
  if (Array.isArray(x)) {
    if (x.length === 0) return x === NIL_ARRAY ? "null" : "[]";
    let out = "[" + compactJson(x[0], esc);
    for (let i = 1; i < x.length; i++) out += "," + compactJson(x[i], esc);
    return out + "]";
  }
  if (x instanceof Uint8Array) return '"' + Buffer.from(x).toString("base64") + '"';
  if (x instanceof Timestamp) return jsonString(formatTime(x, RFC3339Nano), esc);
  if (x instanceof GoNum) return goNumText(x, true);
  if (isObject(x)) {
    const keys = Object.keys(x).sort(compareStrings);
    if (keys.length === 0) return "{}";
    let out = "{";
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (i > 0) out += ",";
      out += jsonString(k, esc) + ":" + compactJson((x as ValueObject)[k], esc);
    }
    return out + "}";
  }
  return "null";
}

/** Go's value.IToString */
/** Shortest decimal that round-trips through float32 (strconv 'g' with bitSize 32). */
function float32Digits(f: number): number {
  if (!Number.isFinite(f) || f === 0) return f;
  for (let p = 1; p <= 9; p++) {
    const c = Number(f.toPrecision(p));
    if (Math.fround(c) === f) return c;
  }
  return f;
}
function goNumText(v: GoNum, json: boolean): string {
  if (typeof v.v === "bigint") return v.v.toString();
  const f = float32Digits(v.v);
  return json ? formatFloatJSON(f) : formatFloatG(f);
}

/** Numbers, strings and booleans print the same in every Go formatting below; else undefined. */
function scalarText(v: Value): string | undefined {
  if (v instanceof GoNum) return goNumText(v, false);
  switch (typeof v) {
    case "string":
      return v;
    case "bigint":
      return v.toString();
    case "number":
      return formatFloatG(v);
    case "boolean":
      return v ? "true" : "false";
  }
  return undefined;
}

export function toGoString(v: Value): string {
  const scalar = scalarText(v);
  if (scalar !== undefined) return scalar;
  if (v === null || v === undefined) return "null";
  if (v instanceof Uint8Array) return fromUtf8(v);
  if (v instanceof Timestamp) return formatTime(v, RFC3339Nano);
  return toJsonText(v);
}

/** Go's fmt %v */
export function goFmtV(v: Value): string {
  const scalar = scalarText(v);
  if (scalar !== undefined) return scalar;
  if (v === null || v === undefined || v === DELETE || v === NOTHING) return "<nil>";
  if (Array.isArray(v)) return "[" + v.map(goFmtV).join(" ") + "]";
  if (v instanceof Uint8Array) return "[" + Array.from(v).join(" ") + "]";
  if (v instanceof Timestamp) return formatTime(v, "2006-01-02 15:04:05.999999999 -0700 MST");
  if (isObject(v)) {
    const keys = Object.keys(v).sort(compareStrings);
    return "map[" + keys.map((k) => `${k}:${goFmtV(v[k])}`).join(" ") + "]";
  }
  return String(v);
}
