// Go's value.IGet*/ITo* helpers: strict getters and lenient conversions, with the same error texts.
import type { Value } from "./value";
import { DELETE, GoNum, NOTHING, Timestamp, fromUtf8, isObject, utf8, wrapI64 } from "./value";
import { typeError, rtErr } from "./errors";
import { RFC3339Nano, formatTime, parseTime } from "./time";

/** 2^63 as a float (float64(MaxInt64) in Go). */
const TWO63 = 2 ** 63;

export function getNumber(v: Value): number {
  if (v instanceof GoNum) v = v.v;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  throw typeError(v, "number");
}

/** IGetInt: floats truncate. */
export function getInt(v: Value): bigint {
  if (v instanceof GoNum) v = typeof v.v === "bigint" ? BigInt.asIntN(64, v.v) : v.v;
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return floatToI64(v);
  throw typeError(v, "number");
}

/** Go's int64(float64) conversion (saturating-ish; NaN → MIN like amd64). */
export function floatToI64(f: number): bigint {
  if (Number.isNaN(f) || !Number.isFinite(f)) return -9223372036854775808n;
  const t = Math.trunc(f);
  if (t >= TWO63) return -9223372036854775808n;
  if (t < -TWO63) return -9223372036854775808n;
  return BigInt(t);
}

export function getBool(v: Value): boolean {
  if (v instanceof GoNum) v = v.v;
  if (typeof v === "boolean") return v;
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v === "number") return v !== 0;
  throw typeError(v, "bool");
}

export function getString(v: Value): string {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return fromUtf8(v);
  if (v instanceof Timestamp) return formatTime(v, RFC3339Nano);
  throw typeError(v, "string");
}

export function getBytes(v: Value): Uint8Array {
  if (typeof v === "string") return utf8(v);
  if (v instanceof Uint8Array) return v;
  if (v instanceof Timestamp) return utf8(formatTime(v, RFC3339Nano));
  throw typeError(v, "bytes");
}

/** strconv.ParseFloat */
export function parseGoFloat(s: string): number {
  const t = s;
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (
    /^[+-]?(\d+(_\d+)*(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t) ||
    /^[+-]?0[xX][0-9a-fA-F.]+([pP][+-]?\d+)?$/.test(t)
  ) {
    const n = Number(t.replace(/_/g, ""));
    if (!Number.isNaN(n)) {
      if (!Number.isFinite(n))
        throw rtErr(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range`);
      return n;
    }
  }
  throw rtErr(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/** strconv.ParseInt(s, base, 64) with base 0 (prefix detection) or 10. */
export function parseGoInt(s: string, base = 0): bigint {
  const err = (kind: string) => rtErr(`strconv.ParseInt: parsing ${JSON.stringify(s)}: ${kind}`);
  let t = s;
  let neg = false;
  if (t.startsWith("+") || t.startsWith("-")) {
    neg = t[0] === "-";
    t = t.slice(1);
  }
  let radix = 10;
  if (base === 0) {
    const prefixes: [RegExp, number, number][] = [
      [/^0[xX]/, 16, 2],
      [/^0[bB]/, 2, 2],
      [/^0[oO]/, 8, 2],
      [/^0[0-7]/, 8, 1],
    ];
    const hit = prefixes.find(([re]) => re.test(t));
    if (hit) {
      radix = hit[1];
      t = t.slice(hit[2]);
    }
    t = t.replace(/_/g, "");
  }
  const re =
    radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : radix === 2 ? /^[01]+$/ : /^[0-9]+$/;
  if (!re.test(t)) throw err("invalid syntax");
  let n = radix === 10 ? BigInt(t) : BigInt((radix === 16 ? "0x" : radix === 8 ? "0o" : "0b") + t);
  if (neg) n = -n;
  if (n > 9223372036854775807n || n < -9223372036854775808n) throw err("value out of range");
  return n;
}

/** IToNumber (float64 conversion incl. strings). */
export function toNumber(v: Value): number {
  if (v instanceof GoNum) v = v.v;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string") return parseGoFloat(v);
  if (v instanceof Uint8Array) return parseGoFloat(fromUtf8(v));
  throw typeError(v, "number");
}

/** IToInt */
export function toInt(v: Value): bigint {
  if (v instanceof GoNum) {
    if (v.kind === "uint64" && (v.v as bigint) > 9223372036854775807n)
      throw rtErr("unsigned integer value is too large to be cast as a signed integer");
    v = v.v;
  }
  if (typeof v === "bigint") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) {
      if (Number.isNaN(v)) throw rtErr("cannot convert NAN to an integer");
      throw rtErr("cannot convert +/-INF to an integer");
    }
    if (v > TWO63) throw rtErr("float value is too large to be cast as a signed integer");
    if (v < -TWO63) throw rtErr("float value is too small to be cast as a signed integer");
    if (v !== Math.trunc(v))
      throw rtErr(
        "float value contains decimals and therefore cannot be cast as a signed integer, if you intend to round the value then call `.round()` explicitly before this cast",
      );
    return BigInt(v);
  }
  if (typeof v === "string") return parseGoInt(v, 0);
  if (v instanceof Uint8Array) return parseGoInt(fromUtf8(v), 0);
  throw typeError(v, "number");
}

export function toBool(v: Value): boolean {
  if (v instanceof GoNum) v = v.v;
  if (typeof v === "boolean") return v;
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v === "number") return v !== 0;
  const s = typeof v === "string" ? v : v instanceof Uint8Array ? fromUtf8(v) : null;
  if (s !== null) {
    if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
    if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  }
  throw typeError(v, "bool");
}

export function getTimestamp(v: Value): Timestamp {
  if (v instanceof Timestamp) return v;
  if (typeof v === "bigint") return Timestamp.fromNanos(v * 1_000_000_000n).withLoc(localLoc());
  if (typeof v === "number") {
    const i = Math.trunc(v);
    const frac = v - i;
    return new Timestamp(i, 0, localLoc()).withNanoAdd(Math.trunc(frac * 1e9));
  }
  if (typeof v === "string" || v instanceof Uint8Array) {
    const s = typeof v === "string" ? v : fromUtf8(v);
    try {
      return parseTime("2006-01-02T15:04:05Z07:00", s);
    } catch (e) {
      throw rtErr((e as Error).message.replace(/as "2006-01-02T15:04:05Z07:00"/, `as "${RFC3339Nano}"`));
    }
  }
  throw typeError(v, "number", "string");
}

import { localLocation } from "./value";
function localLoc() {
  return localLocation();
}
declare module "./value" {
  interface Timestamp {
    withNanoAdd(n: number): Timestamp;
  }
}
Timestamp.prototype.withNanoAdd = function (this: Timestamp, n: number): Timestamp {
  return Timestamp.fromNanos(this.nanos + BigInt(n), this.loc);
};

export function isNull(v: Value): boolean {
  return v === null || v === undefined || v === DELETE || v === NOTHING;
}

/** RestrictForComparison: ints → float, bytes → string, timestamps → RFC3339Nano string. */
export function restrict(v: Value): Value {
  if (v instanceof GoNum) return Number(v.v);
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Uint8Array) return fromUtf8(v);
  if (v instanceof Timestamp) return formatTime(v, RFC3339Nano);
  return v;
}

/** value.ICompare: loose structural equality. */
export function iCompare(left: Value, right: Value): boolean {
  if (left instanceof GoNum) left = left.v;
  if (right instanceof GoNum) right = right.v;
  if ((left === null || left === undefined) && (right === null || right === undefined)) return true;
  const l = restrict(left);
  if (typeof l === "string") {
    if (typeof right === "string") return l === right;
    if (right instanceof Uint8Array || right instanceof Timestamp) return l === getString(right);
    return false;
  }
  if (typeof l === "number") {
    if (typeof right === "number") return l === right;
    if (typeof right === "bigint") {
      if (typeof left === "bigint") return left === right;
      return l === Number(right);
    }
    return false;
  }
  if (typeof l === "boolean") {
    if (typeof right === "boolean") return l === right;
    if (typeof right === "bigint") return l === (right !== 0n);
    if (typeof right === "number") return l === (right !== 0);
    return false;
  }
  if (Array.isArray(l)) {
    if (!Array.isArray(right) || right.length !== l.length) return false;
    for (let i = 0; i < l.length; i++) if (!iCompare(l[i], right[i])) return false;
    return true;
  }
  if (isObject(l)) {
    if (!isObject(right)) return false;
    const lk = Object.keys(l);
    if (lk.length !== Object.keys(right).length) return false;
    for (const k of lk) {
      if (!Object.hasOwn(right, k)) {
        if (!iCompare(l[k], null)) return false;
        continue;
      }
      if (!iCompare(l[k], right[k])) return false;
    }
    return true;
  }
  return false;
}

export function wrapAdd(a: bigint, b: bigint): bigint {
  return wrapI64(a + b);
}
