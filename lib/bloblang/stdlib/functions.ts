// Built-in functions: message access, sentinels, generators, environment and clock.
import { randomUUID, randomBytes, randomInt } from "node:crypto";
import { hostname } from "node:os";
import { registerFunction, simpleFunction } from "../registry";
import type { Value, ValueObject } from "../value";
import { DELETE, NOTHING, Timestamp, fromUtf8, getKey, utf8 } from "../value";
import { BloblangError, rtErr } from "../errors";
import { literal } from "../ops";
import { NONE } from "../runtime";
import type { Ctx } from "../runtime";
import { readFileSync } from "node:fs";
import { parseJsonText } from "../json";
import { varFn, metaFn } from "../builders";
import { searchPath } from "../paths";
import { formatTime, RFC3339Nano, nowTimestamp } from "../time";

registerFunction({ name: "deleted", params: [], ctor: () => literal(DELETE, "delete") });
registerFunction({ name: "nothing", params: [], ctor: () => literal(NOTHING, "nothing") });

simpleFunction("throw", [{ name: "why", type: "string" }], ([why]) => () => {
  throw rtErr(why as string);
});

simpleFunction("content", [], () => (ctx) => {
  const c = ctx.msg.content;
  if (c !== undefined) return c;
  const v = ctx.msg.valueFn();
  if (v === NONE || v === undefined) return new Uint8Array();
  if (typeof v === "string") return utf8(v);
  if (v instanceof Uint8Array) return v;
  return utf8(toJsonText(v, { escapeHtml: false }));
});

simpleFunction("batch_index", [], () => (ctx) => BigInt(ctx.msg.batchIndex));
simpleFunction("batch_size", [], () => (ctx) => BigInt(ctx.msg.batchSize));

simpleFunction("json", [{ name: "path", type: "string", default: "" }], ([path]) => {
  const p = (path as string) ? (path as string).split(".").map(decodeSeg) : [];
  return (ctx) => {
    let v: Value;
    if (ctx.msg.content !== undefined) {
      try {
        v = parseJsonText(fromUtf8(ctx.msg.content));
      } catch (e) {
        throw rtErr((e as Error).message);
      }
    } else {
      const c = ctx.msg.valueFn();
      v = c === NONE ? null : c;
    }
    return p.length ? searchPath(v, p) : v;
  };
});

function decodeSeg(s: string): string {
  return s.replace(/~1/g, ".").replace(/~0/g, "~");
}

registerFunction({
  name: "meta",
  params: [{ name: "key", type: "string", default: "" }],
  ctor: ([key]) => {
    const k = key as string;
    if (!k) return metaObjectStrings("meta object");
    return {
      ann: "meta field " + k,
      exec(ctx) {
        if (!ctx.meta) throw rtErr("metadata cannot be queried in this context");
        const v = getKey(ctx.meta, k);
        if (v === undefined) return null;
        return typeof v === "string" ? v : metaString(v);
      },
    };
  },
});

function metaString(v: Value): string {
  return toGoString(v);
}
function metaObjectStrings(ann: string) {
  return {
    ann,
    exec(ctx: Ctx) {
      if (!ctx.meta) throw rtErr("metadata cannot be queried in this context");
      const out: ValueObject = {};
      for (const k of Object.keys(ctx.meta)) out[k] = metaString(ctx.meta[k]);
      return out;
    },
  };
}

registerFunction({
  name: "metadata",
  params: [{ name: "key", type: "string", default: "" }],
  ctor: ([key]) => {
    const k = key as string;
    return {
      ann: k ? "metadata field " + k : "metadata object",
      exec(ctx) {
        const m = ctx.msg.metadata;
        if (!k) return { ...m };
        const v = getKey(m, k);
        return v === undefined ? null : v;
      },
    };
  },
});

registerFunction({
  name: "root_meta",
  params: [{ name: "key", type: "string", default: "" }],
  ctor: ([key]) => {
    const k = key as string;
    if (!k) return metaObjectStrings("root_meta object");
    return {
      ann: "root_meta field " + k,
      exec(ctx) {
        if (!ctx.meta) throw rtErr("root metadata cannot be queried in this context");
        const v = getKey(ctx.meta, k);
        if (v === undefined) return null;
        const s = metaString(v);
        return s === "" ? null : s;
      },
    };
  },
});

registerFunction({
  name: "var",
  params: [{ name: "name", type: "string" }],
  ctor: ([name]) => varFn(name as string),
});
void metaFn;

registerFunction({
  name: "range",
  params: [
    { name: "start", type: "integer" },
    { name: "stop", type: "integer" },
    { name: "step", type: "integer", default: 1n },
  ],
  ctor: ([start, stop, step]) => {
    const a = start as bigint;
    const b = stop as bigint;
    const s = step as bigint;
    if (s === 0n) throw new BloblangError("step must be greater than or less than 0");
    if (s < 0n) {
      if (b > a) throw new BloblangError(`with negative step arg stop (${b}) must be <= start (${a})`);
    } else if (a >= b) throw new BloblangError(`with positive step arg start (${a}) must be < stop (${b})`);
    // Go allocates (stop-start)/step elements (truncated), so the stop bound is never reached
    const n = Number((b - a) / s);
    const out: Value[] = [];
    for (let i = 0; i < n; i++) out.push(a + s * BigInt(i));
    return literal(out, "function range");
  },
});

let counters: Record<string, bigint> = {};
simpleFunction("count", [{ name: "name", type: "string" }], ([name]) => () => {
  const n = name as string;
  counters[n] = (counters[n] ?? 0n) + 1n;
  return counters[n];
});
export function resetCounters(): void {
  counters = {};
}

simpleFunction("uuid_v4", [], () => () => randomUUID());
simpleFunction("uuid_v7", [{ name: "time", type: "timestamp", optional: true }], ([t]) => () => {
  const ms =
    t instanceof Timestamp ? BigInt(t.sec) * 1000n + BigInt(Math.floor(t.nsec / 1e6)) : BigInt(Date.now());
  const b = randomBytes(16);
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
});

const nanoAlphabet = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
simpleFunction(
  "nanoid",
  [
    { name: "length", type: "integer", optional: true },
    { name: "alphabet", type: "string", optional: true },
  ],
  ([length, alphabet]) => {
    if (alphabet !== undefined && length === undefined)
      throw new BloblangError("field length must be specified when an alphabet is specified");
    const n = Number((length as bigint | undefined) ?? 21n);
    const alpha = (alphabet as string | undefined) ?? nanoAlphabet;
    return () => {
      let s = "";
      for (let i = 0; i < n; i++) s += alpha[randomInt(alpha.length)];
      return s;
    };
  },
);
simpleFunction("ksuid", [], () => () => {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const ts = BigInt(Math.floor(Date.now() / 1000) - 1400000000);
  let n = (ts << 128n) | BigInt("0x" + randomBytes(16).toString("hex"));
  let s = "";
  while (n > 0n) {
    s = alphabet[Number(n % 62n)] + s;
    n /= 62n;
  }
  return s.padStart(27, "0");
});

simpleFunction(
  "random_int",
  [
    { name: "seed", type: "query", optional: true },
    { name: "min", type: "integer", default: 0n },
    { name: "max", type: "integer", default: 9223372036854775806n },
  ],
  ([, min, max]) => {
    const lo = min as bigint;
    const hi = max as bigint;
    if (lo < 0n) throw new BloblangError(`min (${lo}) must be a positive number`);
    if (lo > hi) throw new BloblangError(`min (${lo}) must be smaller or equal than max (${hi})`);
    if (hi >= 9223372036854775807n)
      throw new BloblangError(`max must be smaller than the max allowed for an int64 (9223372036854775807)`);
    return () => {
      const span = hi - lo + 1n;
      const r = BigInt("0x" + randomBytes(8).toString("hex")) % span;
      return lo + r;
    };
  },
);

simpleFunction("now", [], () => () => formatTime(nowTimestamp(), RFC3339Nano));
simpleFunction("timestamp_unix", [], () => () => BigInt(Math.floor(Date.now() / 1000)));
simpleFunction("timestamp_unix_milli", [], () => () => BigInt(Date.now()));
simpleFunction("timestamp_unix_micro", [], () => () => nowTimestamp().nanos / 1000n);
simpleFunction("timestamp_unix_nano", [], () => () => nowTimestamp().nanos);
simpleFunction("hostname", [], () => () => hostname());

simpleFunction(
  "env",
  [
    { name: "name", type: "string" },
    { name: "no_cache", type: "bool", default: false },
  ],
  ([name, noCache]) => {
    // As in Benthos: read once when the mapping is built, unless no_cache (so a unit test's
    // `environment`, set while its config is built, is what env() sees).
    const read = () => {
      const v = process.env[name as string];
      return v === undefined ? null : v;
    };
    if (noCache) return read;
    const v = read();
    return () => v;
  },
);
simpleFunction(
  "file",
  [
    { name: "path", type: "string" },
    { name: "no_cache", type: "bool", default: false },
  ],
  ([p]) =>
    () => {
      try {
        return new Uint8Array(readFileSync(p as string));
      } catch (e) {
        throw rtErr((e as Error).message);
      }
    },
);

simpleFunction("error", [], () => (ctx) => ctx.msg.error ?? null);
simpleFunction("errored", [], () => (ctx) => ctx.msg.error !== undefined && ctx.msg.error !== null);
simpleFunction("error_source_name", [], () => () => null);
simpleFunction("error_source_label", [], () => () => null);
simpleFunction("error_source_path", [], () => () => null);
simpleFunction("tracing_span", [], () => () => null);
simpleFunction("tracing_id", [], () => () => "");

simpleFunction(
  "bytes",
  [{ name: "length", type: "integer" }],
  ([n]) =>
    () =>
      new Uint8Array(Number(n as bigint)),
);
simpleFunction("pi", [], () => () => Math.PI);
simpleFunction(
  "counter",
  [
    { name: "min", type: "integer", default: 1n },
    { name: "max", type: "integer", default: 9223372036854775807n },
  ],
  ([min]) => {
    let c = (min as bigint) - 1n;
    return () => (c += 1n);
  },
);

import { toGoString, toJsonText } from "../format";
