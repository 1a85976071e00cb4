// The runtime value form used by the interpreter. Bloblang (like Go) keeps integers and floats apart:
//   null → null, bool → boolean, string → string,
//   int64 → bigint (always wrapped to the signed 64-bit range), float64 → number,
//   bytes → Uint8Array, timestamp → Timestamp, array → Value[], object → plain object (string keys),
//   the sentinels deleted() → DELETE and nothing() → NOTHING.
// Objects are plain JS objects; keys are read with hasOwn so inherited properties never leak in.

export type Value = unknown;

class Sentinel {
  constructor(readonly kind: "delete" | "nothing") {}
  toString(): string {
    return this.kind;
  }
}
export const DELETE = new Sentinel("delete");
export const NOTHING = new Sentinel("nothing");

/** Go's nil []any from an empty static array literal: an empty array that JSON-encodes as null. */
export const NIL_ARRAY: unknown[] = Object.freeze([]) as unknown as unknown[];

export type ValueObject = Record<string, Value>;

/**
 * A Go numeric of a width other than int64/float64 (from `.int32()`, `.uint32()`, `.uint64()`,
 * `.float32()`). Arithmetic sanitizes it like Go's ISanitize: int32 → int64, uint32 → uint64,
 * float32 → float64; uint64 op uint64 stays uint64.
 */
export class GoNum {
  constructor(
    readonly kind: "int32" | "uint32" | "uint64" | "float32",
    readonly v: bigint | number,
  ) {}
  get unsigned(): boolean {
    return this.kind === "uint32" || this.kind === "uint64";
  }
}

/** Go's ISanitize for numbers: the int64/float64 (or unsigned bigint) view of a GoNum. */
export function sanitizeNum(v: Value): Value {
  return v instanceof GoNum ? v.v : v;
}

/** A Go time.Time: unix seconds + nanoseconds, with the location it is shown in. */
export class Timestamp {
  constructor(
    readonly sec: number,
    readonly nsec: number,
    readonly loc: Location = UTC,
  ) {}
  static fromMillis(ms: number, loc: Location = UTC): Timestamp {
    const sec = Math.floor(ms / 1000);
    return new Timestamp(sec, Math.round((ms - sec * 1000) * 1e6), loc);
  }
  /** Unix nanoseconds as bigint. */
  get nanos(): bigint {
    return BigInt(this.sec) * 1_000_000_000n + BigInt(this.nsec);
  }
  static fromNanos(ns: bigint, loc: Location = UTC): Timestamp {
    let sec = ns / 1_000_000_000n;
    let nsec = ns % 1_000_000_000n;
    if (nsec < 0n) {
      nsec += 1_000_000_000n;
      sec -= 1n;
    }
    return new Timestamp(Number(sec), Number(nsec), loc);
  }
  withLoc(loc: Location): Timestamp {
    return new Timestamp(this.sec, this.nsec, loc);
  }
  /** Offset east of UTC, in seconds, at this instant. */
  offset(): number {
    return this.loc.offsetAt(this.sec);
  }
}

/** A time zone: fixed offset or IANA name (offsets resolved through Intl). */
export class Location {
  private cache = new Map<number, number>();
  constructor(
    readonly name: string,
    readonly fixed: number | null,
  ) {}
  offsetAt(sec: number): number {
    if (this.fixed !== null) return this.fixed;
    const hour = Math.floor(sec / 3600);
    const hit = this.cache.get(hour);
    if (hit !== undefined) return hit;
    const off = ianaOffset(this.name, sec);
    if (this.cache.size > 10000) this.cache.clear();
    this.cache.set(hour, off);
    return off;
  }
  /** Go's zone abbreviation (e.g. "UTC", "EST", or "+0200" style when unknown). */
  abbrev(sec: number): string {
    if (this.name === "UTC") return "UTC";
    if (this.fixed !== null && this.name) return this.name;
    try {
      const parts = new Intl.DateTimeFormat("en-US", {
        timeZone: this.name,
        timeZoneName: "short",
      }).formatToParts(new Date(sec * 1000));
      const tz = parts.find((p) => p.type === "timeZoneName")?.value ?? "";
      if (/^[A-Z]{2,5}$/.test(tz)) return tz;
    } catch {
      // fall through to a numeric abbreviation
    }
    const off = this.offsetAt(sec);
    const sign = off < 0 ? "-" : "+";
    const a = Math.abs(off);
    const h = Math.floor(a / 3600);
    const m = Math.floor((a % 3600) / 60);
    return m === 0
      ? `${sign}${String(h).padStart(2, "0")}`
      : `${sign}${String(h).padStart(2, "0")}${String(m).padStart(2, "0")}`;
  }
}

const dtfCache = new Map<string, Intl.DateTimeFormat>();
function ianaOffset(zone: string, sec: number): number {
  let dtf = dtfCache.get(zone);
  if (!dtf) {
    dtf = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    dtfCache.set(zone, dtf);
  }
  const parts = dtf.formatToParts(new Date(sec * 1000));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return Math.round(asUtc / 1000 - sec);
}

export const UTC = new Location("UTC", 0);
export function fixedZone(name: string, offset: number): Location {
  return new Location(name, offset);
}
export function loadLocation(name: string): Location {
  if (name === "UTC" || name === "") return UTC;
  if (name === "Local") return localLocation();
  // validates the zone name (throws RangeError if unknown)
  new Intl.DateTimeFormat("en-US", { timeZone: name });
  return new Location(name, null);
}
let localLoc: Location | null = null;
export function localLocation(): Location {
  if (!localLoc) {
    const tz = process.env.TZ || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    localLoc = tz === "UTC" || tz === "Etc/UTC" ? UTC : new Location(tz, null);
  }
  return localLoc;
}

export function isObject(v: Value): v is ValueObject {
  if (typeof v !== "object" || v === null) return false;
  // plain objects only (JSON objects, literals, null-prototype maps)
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

const hasOwn = Object.hasOwn;
export function getKey(o: ValueObject, k: string): Value {
  // Values are never functions, so only a function (an Object.prototype method) or `__proto__` can
  // be inherited: check ownership for those alone and skip the hasOwn call on the common path.
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v === "function" || k === "__proto__") return hasOwn(o, k) ? v : undefined;
  return v;
}
export function setKey(o: ValueObject, k: string, v: Value): void {
  if (k === "__proto__")
    Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}
export function newObject(): ValueObject {
  return {};
}

export type TypeName =
  | "null"
  | "bool"
  | "number"
  | "string"
  | "bytes"
  | "timestamp"
  | "array"
  | "object"
  | "delete"
  | "nothing"
  | "unknown";

export function typeOf(v: Value): TypeName {
  switch (typeof v) {
    case "string":
      return "string";
    case "bigint":
    case "number":
      return "number";
    case "boolean":
      return "bool";
    case "undefined":
      return "null";
    case "object":
      if (v === null) return "null";
      if (Array.isArray(v)) return "array";
      if (v instanceof GoNum) return "number";
      if (v instanceof Uint8Array) return "bytes";
      if (v instanceof Timestamp) return "timestamp";
      if (v === DELETE) return "delete";
      if (v === NOTHING) return "nothing";
      return "object";
  }
  return "unknown";
}

/** Go's %T name for a value (used in a few error messages). */
export function goTypeName(v: Value): string {
  switch (typeof v) {
    case "string":
      return "string";
    case "bigint":
      return "int64";
    case "number":
      return "float64";
    case "boolean":
      return "bool";
  }
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return "[]interface {}";
  if (v instanceof Uint8Array) return "[]uint8";
  if (v instanceof Timestamp) return "time.Time";
  if (v instanceof GoNum) return v.kind;
  if (v === DELETE) return "value.Delete";
  if (v === NOTHING) return "value.Nothing";
  return "map[string]interface {}";
}

export function isNullish(v: Value): boolean {
  return v === null || v === undefined || v === DELETE || v === NOTHING;
}

export const MAX_I64 = 9223372036854775807n;
export const MIN_I64 = -9223372036854775808n;
export function wrapI64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** Deep copy of arrays/objects (Go's IClone); scalars are immutable. */
export function clone(v: Value): Value {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = clone(v[i]);
    return out;
  }
  if (!isObject(v)) return v;
  const out: ValueObject = {};
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const x = v[k];
    const c = typeof x === "object" && x !== null ? clone(x) : x;
    if (k === "__proto__") setKey(out, k, c);
    else out[k] = c;
  }
  return out;
}

export function objKeys(o: ValueObject): string[] {
  return Object.keys(o);
}
export function sortedKeys(o: ValueObject): string[] {
  return Object.keys(o).sort(compareStrings);
}
/** Byte-wise (UTF-8 order) string comparison like Go's < on strings. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  // For BMP-only strings UTF-16 order equals UTF-8 order; surrogates need the code point compare.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) {
      const sa = ca >= 0xd800 && ca <= 0xdfff;
      const sb = cb >= 0xd800 && cb <= 0xdfff;
      if (sa !== sb) return sa ? 1 : -1;
      return ca < cb ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8");
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}
export function fromUtf8(b: Uint8Array): string {
  return dec.decode(b);
}
