// General methods: apply, catch, or, not, map, from, get, exists, type and coercions.
import { registerMethod, simpleMethod } from "../registry";
import type { Fn, MessageCtx } from "../runtime";
import type { Value, ValueObject } from "../value";
import { GoNum, Timestamp, isObject, typeOf, utf8 } from "../value";
import { BloblangError, errFrom, rtErr, typeError } from "../errors";
import { getTimestamp, isNull, toBool, toInt, toNumber } from "../coerce";
import { getPath, mapExpression, notFn } from "../builders";
import { searchPath } from "../paths";
import { execMap } from "../exec";
import { toGoString } from "../format";

registerMethod({
  name: "apply",
  params: [{ name: "mapping", type: "string" }],
  ctor(target, [name]) {
    const n = name as string;
    return {
      ann: "map " + n,
      exec(ctx) {
        const v = target.exec(ctx);
        const m = ctx.maps[n];
        if (!m || !Object.hasOwn(ctx.maps, n)) throw rtErr(`map ${n} was not found`);
        return execMap(m, v, ctx);
      },
    };
  },
});

registerMethod({
  name: "catch",
  params: [{ name: "fallback", type: "query" }],
  ctor(target, [fb]) {
    const f = fb as Fn;
    return {
      ann: "method catch",
      exec(ctx) {
        try {
          return target.exec(ctx);
        } catch (e) {
          if (!(e instanceof BloblangError)) {
            if (e instanceof RangeError) return f.exec(ctx.withValue(e.message));
            throw e;
          }
          return f.exec(ctx.withValue(e.message));
        }
      },
    };
  },
});

registerMethod({
  name: "or",
  params: [{ name: "fallback", type: "query" }],
  ctor(target, [fb]) {
    const f = fb as Fn;
    return {
      ann: "method or",
      exec(ctx) {
        let v: Value;
        try {
          v = target.exec(ctx);
        } catch (e) {
          if (!(e instanceof BloblangError)) throw e;
          return f.exec(ctx);
        }
        if (isNull(v)) return f.exec(ctx);
        return v;
      },
    };
  },
});

registerMethod({
  name: "not",
  params: [],
  ctor: (target) => notFn(target),
});

registerMethod({
  name: "map",
  params: [{ name: "query", type: "query" }],
  ctor: (target, [q]) => mapExpression(target, q as Fn),
});

registerMethod({
  name: "from",
  params: [{ name: "index", type: "integer" }],
  ctor(target, [idx]) {
    const i = Number(idx as bigint);
    return {
      ann: `${target.ann} from ${i}`,
      exec(ctx) {
        return target.exec(ctx.with({ msg: withIndex(ctx.msg, i) }));
      },
    };
  },
});
registerMethod({
  name: "from_all",
  params: [],
  ctor(target) {
    return {
      ann: "method from_all",
      exec(ctx) {
        const out: Value[] = [];
        for (let i = 0; i < ctx.msg.batchSize; i++)
          out.push(target.exec(ctx.with({ msg: withIndex(ctx.msg, i) })));
        return out;
      },
    };
  },
});

function withIndex(msg: MessageCtx, i: number): MessageCtx {
  const m = Object.create(msg) as MessageCtx;
  m.batchIndex = i;
  return m;
}

export function dotPath(s: string): string[] {
  return s.split(".").map((p) => p.replace(/~1/g, ".").replace(/~0/g, "~"));
}

registerMethod({
  name: "get",
  params: [{ name: "path", type: "string" }],
  ctor: (target, [p]) => getPath(target, dotPath(p as string)),
});

simpleMethod("exists", [{ name: "path", type: "string" }], ([p]) => {
  const path = dotPath(p as string);
  return (v) => {
    let cur = v;
    for (const seg of path) {
      if (isObject(cur)) {
        if (!Object.hasOwn(cur, seg)) return false;
        cur = cur[seg];
      } else if (Array.isArray(cur)) {
        if (!/^[0-9]+$/.test(seg)) return false;
        const i = Number(seg);
        if (i >= cur.length) return false;
        cur = cur[i];
      } else return false;
    }
    return true;
  };
});

simpleMethod("type", [], () => (v) => typeOf(v));

simpleMethod("array", [], () => (v) => (Array.isArray(v) ? v : [v]));

function coerceWithDefault(name: string, ptype: "bool" | "float" | "timestamp", conv: (v: Value) => Value) {
  registerMethod({
    name,
    params: [{ name: "default", type: ptype, optional: true }],
    ctor(target, [def]) {
      return {
        ann: "method " + name,
        exec(ctx) {
          let v: Value;
          try {
            v = target.exec(ctx);
          } catch (e) {
            if (def !== undefined) return def;
            throw e;
          }
          try {
            return conv(v);
          } catch (e) {
            if (def !== undefined) return def;
            throw errFrom(e, target.ann);
          }
        },
      };
    },
  });
}
coerceWithDefault("bool", "bool", toBool);
coerceWithDefault("number", "float", toNumber);
coerceWithDefault("timestamp", "timestamp", getTimestamp);

simpleMethod("not_null", [], () => (v) => {
  if (v === null || v === undefined) throw rtErr("value is null");
  return v;
});

simpleMethod("string", [], () => (v) => toGoString(v));
simpleMethod("bytes", [], () => (v) => {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return utf8(v);
  return utf8(toGoString(v));
});

simpleMethod("not_empty", [], () => (v) => {
  if (typeof v === "string") {
    if (v === "") throw rtErr("string value is empty");
  } else if (Array.isArray(v)) {
    if (v.length === 0) throw rtErr("array value is empty");
  } else if (isObject(v)) {
    if (Object.keys(v).length === 0) throw rtErr("object value is empty");
  } else throw typeError(v, "string", "array", "object");
  return v;
});

// Typed numeric coercions (Benthos' pure package). int32/uint32/uint64/float32 keep their Go width
// (GoNum); int16/int8/uint16/uint8 are range-checked and carried as int64.
function intMethod(name: string, check: (i: bigint) => string | null) {
  simpleMethod(name, [], () => (v) => {
    if (v instanceof GoNum && v.kind === name) return v;
    const i = toInt(v);
    const err = check(i);
    if (err) throw rtErr(err);
    return name === "int32" ? new GoNum("int32", i) : i;
  });
}
intMethod("int64", () => null);
intMethod("int32", (i) =>
  i > 2147483647n
    ? "value is too large to be cast as a 32-bit signed integer"
    : i < -2147483648n
      ? "value is too small to be cast as a 32-bit signed integer"
      : null,
);
intMethod("int16", (i) =>
  i > 32767n
    ? "value is too large to be cast as a 16-bit signed integer"
    : i < -32768n
      ? "value is too small to be cast as a 16-bit signed integer"
      : null,
);
intMethod("int8", (i) =>
  i > 127n
    ? "value is too large to be cast as an 8-bit signed integer"
    : i < -128n
      ? "value is too small to be cast as an 8-bit signed integer"
      : null,
);
function uintMethod(name: string, max: bigint, label: string) {
  simpleMethod(name, [], () => (v) => {
    let u: bigint;
    if (v instanceof GoNum && v.kind === name) return v;
    if (v instanceof GoNum) v = v.v;
    if (typeof v === "bigint" && v > 9223372036854775807n) u = v;
    else if (typeof v === "string") {
      if (!/^[0-9]+$/.test(v)) {
        if (/^-[0-9]+$/.test(v))
          throw rtErr(`strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
      }
      u = /^[0-9]+$/.test(v) ? BigInt(v) : toInt(v);
      if (u > 18446744073709551615n)
        throw rtErr(`strconv.ParseUint: parsing ${JSON.stringify(v)}: value out of range`);
    } else if (typeof v === "number") {
      if (v < 0) throw rtErr("float value is negative and cannot be cast as an unsigned integer");
      if (Number.isNaN(v)) throw rtErr("cannot convert NAN to an unsigned integer");
      if (!Number.isFinite(v)) throw rtErr("cannot convert +/-INF to an unsigned integer");
      if (v !== Math.trunc(v))
        throw rtErr(
          "float value contains decimals and therefore cannot be cast as an unsigned integer, if you intend to round the value then call `.round()` explicitly before this cast",
        );
      u = BigInt(v);
    } else {
      u = toInt(v);
      if (u < 0n) throw rtErr("signed integer value is negative and cannot be cast as an unsigned integer");
    }
    if (u > max) throw rtErr(`value is too large to be cast as ${label}`);
    return name === "uint64" || name === "uint32" ? new GoNum(name, u) : u;
  });
}
uintMethod("uint64", 18446744073709551615n, "an unsigned integer");
uintMethod("uint32", 4294967295n, "a 32-bit unsigned integer");
uintMethod("uint16", 65535n, "a 16-bit unsigned integer");
uintMethod("uint8", 255n, "an 8-bit unsigned integer");
simpleMethod("float64", [], () => (v) => toNumber(v));
simpleMethod(
  "float32",
  [],
  () => (v) =>
    v instanceof GoNum && v.kind === "float32" ? v : new GoNum("float32", Math.fround(toNumber(v))),
);

export { searchPath, Timestamp };
export type { ValueObject };
