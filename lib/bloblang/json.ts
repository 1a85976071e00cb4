// JSON ⇄ value form. Integers become bigint (exact int64), other numbers float64 (JS number), as Go's
// json.Number handling does in Benthos. Plain JS values convert with fromPlain/toPlain.
import type { Value, ValueObject } from "./value";
import { DELETE, GoNum, NOTHING, Timestamp, isObject, setKey } from "./value";
import { formatTime, RFC3339Nano } from "./time";

class JsonError extends Error {}

const NUM_RE = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/** Turns integral JS numbers into int64 bigints in place (safe only when the text had no `2.0`-style floats). */
function convertNumbers(v: unknown): Value {
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === "number") {
        if (Number.isInteger(x)) v[i] = BigInt(x);
      } else if (typeof x === "object" && x !== null) convertNumbers(x);
    }
    return v;
  }
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const x = o[k];
      if (typeof x === "number") {
        if (Number.isInteger(x)) o[k] = BigInt(x);
      } else if (typeof x === "object" && x !== null) convertNumbers(x);
    }
  }
  return v;
}

/**
 * Parses JSON text into the value form. Fast path: JSON.parse, then integral numbers become bigints —
 * exact as long as the text has no float written with a zero fraction or an exponent (`2.0`, `1e3`) and
 * no integer long enough to exceed 2^53; otherwise (or on error) the exact parser runs.
 */
export function parseJsonText(text: string): Value {
  if (!/[0-9]\.0+(?![0-9])|[0-9][eE]|[0-9]{16}/.test(text)) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      // re-parse with the exact parser for a Go-shaped error message
      return new JsonParser(text).parseAll();
    }
    return convertNumbers(v);
  }
  return new JsonParser(text).parseAll();
}

class JsonParser {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }
  fail(): never {
    if (this.i >= this.s.length) throw new JsonError("unexpected end of JSON input");
    throw new JsonError(`invalid character '${this.s[this.i]}' looking for beginning of value`);
  }
  parseAll(): Value {
    this.ws();
    const v = this.value();
    this.ws();
    if (this.i < this.s.length)
      throw new JsonError(`invalid character '${this.s[this.i]}' after top-level value`);
    return v;
  }
  value(): Value {
    this.ws();
    const c = this.s[this.i];
    switch (c) {
      case "{": {
        this.i++;
        const o: ValueObject = {};
        this.ws();
        if (this.s[this.i] === "}") {
          this.i++;
          return o;
        }
        for (;;) {
          this.ws();
          if (this.s[this.i] !== '"') this.fail();
          const k = this.str();
          this.ws();
          if (this.s[this.i] !== ":") this.fail();
          this.i++;
          setKey(o, k, this.value());
          this.ws();
          if (this.s[this.i] === ",") {
            this.i++;
            continue;
          }
          if (this.s[this.i] === "}") {
            this.i++;
            return o;
          }
          this.fail();
        }
      }
      case "[": {
        this.i++;
        const a: Value[] = [];
        this.ws();
        if (this.s[this.i] === "]") {
          this.i++;
          return a;
        }
        for (;;) {
          a.push(this.value());
          this.ws();
          if (this.s[this.i] === ",") {
            this.i++;
            continue;
          }
          if (this.s[this.i] === "]") {
            this.i++;
            return a;
          }
          this.fail();
        }
      }
      case '"':
        return this.str();
      case "t":
        return this.word("true", true);
      case "f":
        return this.word("false", false);
      case "n":
        return this.word("null", null);
      default: {
        NUM_RE.lastIndex = this.i;
        const m = NUM_RE.exec(this.s);
        if (m) {
          this.i += m[0].length;
          if (!m[1] && !m[2]) {
            const b = BigInt(m[0]);
            if (b <= 9223372036854775807n && b >= -9223372036854775808n) return b;
          }
          return Number(m[0]);
        }
      }
    }
    this.fail();
  }
  word(w: string, v: Value): Value {
    for (let k = 1; k < w.length; k++) {
      const c = this.s[this.i + k];
      if (c === undefined) throw new JsonError("unexpected end of JSON input");
      if (c !== w[k]) throw new JsonError(`invalid character '${c}' in literal ${w} (expecting '${w[k]}')`);
    }
    this.i += w.length;
    return v;
  }
  str(): string {
    const s = this.s;
    const start = this.i;
    // fast path: no escapes before the closing quote
    const q = s.indexOf('"', start + 1);
    if (q > 0) {
      const bs = s.indexOf("\\", start + 1);
      if (bs < 0 || bs > q) {
        const body = s.slice(start + 1, q);
        // control characters are invalid inside JSON strings
        // eslint-disable-next-line no-control-regex
        if (!/[\u0000-\u001f]/.test(body)) {
          this.i = q + 1;
          return body;
        }
      }
    }
    let j = start + 1;
    // find closing quote honoring escapes
    for (;;) {
      const k = s.indexOf('"', j);
      if (k < 0) throw new JsonError("unexpected end of JSON input");
      let bs = 0;
      for (let x = k - 1; x > start && s[x] === "\\"; x--) bs++;
      if (bs % 2 === 0) {
        j = k;
        break;
      }
      j = k + 1;
    }
    const raw = s.slice(start, j + 1);
    this.i = j + 1;
    try {
      return JSON.parse(raw) as string;
    } catch {
      throw new JsonError(`invalid character in string literal`);
    }
  }
}

/** Plain JS value (e.g. from YAML or JSON.parse) → value form. Integral numbers become int64. */
export function fromPlainValue(v: unknown): Value {
  switch (typeof v) {
    case "number":
      return Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? BigInt(v) : v;
    case "bigint":
      return BigInt.asIntN(64, v);
    case "string":
    case "boolean":
      return v;
    case "undefined":
      return null;
  }
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(fromPlainValue);
  if (v instanceof Uint8Array || v instanceof Timestamp || v === DELETE || v === NOTHING) return v;
  if (v instanceof Date) return Timestamp.fromMillis(v.getTime());
  if (typeof v === "object") {
    const o: ValueObject = {};
    for (const [k, x] of Object.entries(v as object)) setKey(o, k, fromPlainValue(x));
    return o;
  }
  return null;
}

/** Value form → plain JS (bigints within the safe range become numbers; larger stay bigint). */
export function toPlainValue(v: Value): unknown {
  switch (typeof v) {
    case "bigint":
      return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
    case "number":
    case "string":
    case "boolean":
      return v;
    case "undefined":
      return undefined;
  }
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(toPlainValue);
  if (v instanceof Uint8Array) return v;
  if (v instanceof Timestamp) return formatTime(v, RFC3339Nano);
  if (v instanceof GoNum) return toPlainValue(v.v);
  if (v === DELETE || v === NOTHING) return undefined;
  if (isObject(v)) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const x = toPlainValue(v[k]);
      if (k === "__proto__")
        Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
      else o[k] = x;
    }
    return o;
  }
  return v;
}
