// Timestamp methods (Go layouts, strftime, unix conversions, durations).
import { simpleMethod } from "../registry";
import type { Params } from "../registry";
import type { Value } from "../value";
import { Timestamp, loadLocation } from "../value";
import { BloblangError, rtErr } from "../errors";
import { getString, getTimestamp } from "../coerce";
import { RFC3339Nano, formatTime, parseTime, strftimeToLayout, civil } from "../time";

function tsMethod(name: string, params: Params, prep: (args: Value[]) => (t: Timestamp) => Value) {
  simpleMethod(name, params, (args) => {
    const fn = prep(args);
    return (v) => fn(getTimestamp(v));
  });
}
function strMethod(name: string, params: Params, prep: (args: Value[]) => (s: string) => Value) {
  simpleMethod(name, params, (args) => {
    const fn = prep(args);
    return (v) => fn(getString(v));
  });
}

function loc(tz: string) {
  try {
    return loadLocation(tz);
  } catch {
    throw new BloblangError(`failed to parse timezone location name: unknown time zone ${tz}`);
  }
}

function parseWith(layout: string, s: string): Timestamp {
  try {
    return parseTime(layout, s);
  } catch (e) {
    throw rtErr((e as Error).message);
  }
}

for (const [name, deprecated] of [
  ["ts_parse", false],
  ["parse_timestamp", true],
] as const) {
  strMethod(name, [{ name: "format", type: "string" }], ([f]) => (s) => {
    const t = parseWith(f as string, s);
    return deprecated ? formatTime(t, RFC3339Nano) : t;
  });
}
for (const [name, deprecated] of [
  ["ts_strptime", false],
  ["parse_timestamp_strptime", true],
] as const) {
  strMethod(name, [{ name: "format", type: "string" }], ([f]) => {
    const layout = strftimeToLayout(f as string);
    return (s) => {
      const t = parseWith(layout, s);
      return deprecated ? formatTime(t, RFC3339Nano) : t;
    };
  });
}
for (const name of ["ts_format", "format_timestamp"]) {
  tsMethod(
    name,
    [
      { name: "format", type: "string", default: RFC3339Nano },
      { name: "tz", type: "string", optional: true },
    ],
    ([f, tz]) => {
      const l = tz === undefined ? null : loc(tz as string);
      return (t) => formatTime(l ? t.withLoc(l) : t, f as string);
    },
  );
}
for (const name of ["ts_strftime", "format_timestamp_strftime"]) {
  tsMethod(
    name,
    [
      { name: "format", type: "string" },
      { name: "tz", type: "string", optional: true },
    ],
    ([f, tz]) => {
      const l = tz === undefined ? null : loc(tz as string);
      const layout = strftimeToLayout(f as string);
      return (t) => formatTime(l ? t.withLoc(l) : t, layout);
    },
  );
}
for (const [suffix, div] of [
  ["", 1_000_000_000n],
  ["_milli", 1_000_000n],
  ["_micro", 1_000n],
  ["_nano", 1n],
] as const) {
  const f = (t: Timestamp) => {
    const n = t.nanos;
    // Go's Unix()/UnixMilli() floor toward negative infinity for seconds; milli/micro truncate
    if (div === 1_000_000_000n) return BigInt(t.sec);
    return n / div;
  };
  tsMethod("ts_unix" + suffix, [], () => f);
  tsMethod("format_timestamp_unix" + suffix, [], () => f);
}

tsMethod("ts_tz", [{ name: "tz", type: "string" }], ([tz]) => {
  const l = loc(tz as string);
  return (t) => t.withLoc(l);
});

tsMethod("ts_round", [{ name: "duration", type: "integer" }], ([d]) => {
  const dur = d as bigint;
  return (t) => {
    if (dur <= 0n) return t;
    const n = t.nanos;
    let r = n % dur;
    if (r < 0n) r += dur;
    const down = n - r;
    return Timestamp.fromNanos(r + r < dur ? down : down + dur, t.loc);
  };
});

tsMethod(
  "ts_sub",
  [{ name: "t2", type: "timestamp" }],
  ([t2]) =>
    (t) =>
      t.nanos - (t2 as Timestamp).nanos,
);

interface Period {
  y: number;
  m: number;
  d: number;
  h: number;
  min: number;
  s: number;
}
function parseIsoPeriod(s: string): Period {
  const m =
    /^P(?:(-?\d+(?:[.,]\d+)?)Y)?(?:(-?\d+(?:[.,]\d+)?)M)?(?:(-?\d+(?:[.,]\d+)?)W)?(?:(-?\d+(?:[.,]\d+)?)D)?(?:T(?:(-?\d+(?:[.,]\d+)?)H)?(?:(-?\d+(?:[.,]\d+)?)M)?(?:(-?\d+(?:[.,]\d+)?)S)?)?$/.exec(
      s,
    );
  if (!m || s === "P" || s.endsWith("T")) throw rtErr(`${s}: expected 'P' period mark at the start`);
  const n = (x?: string) => (x ? Number(x.replace(",", ".")) : 0);
  return { y: n(m[1]), m: n(m[2]), d: n(m[4]) + n(m[3]) * 7, h: n(m[5]), min: n(m[6]), s: n(m[7]) };
}
function addPeriod(t: Timestamp, p: Period, sign: number): Timestamp {
  const c = civil(t);
  const d = new Date(Date.UTC(c.year, c.month - 1, c.day, c.hour, c.min, c.sec));
  d.setUTCFullYear(
    d.getUTCFullYear() + sign * p.y,
    d.getUTCMonth() + sign * p.m,
    d.getUTCDate() + sign * p.d,
  );
  const localSec = Math.floor(d.getTime() / 1000) + sign * (p.h * 3600 + p.min * 60 + p.s);
  const off = t.loc.offsetAt(localSec - c.off);
  return new Timestamp(Math.floor(localSec - off), t.nsec, t.loc);
}
for (const [name, sign] of [
  ["ts_add_iso8601", 1],
  ["ts_sub_iso8601", -1],
] as const) {
  tsMethod(name, [{ name: "duration", type: "string" }], ([d]) => {
    const p = parseIsoPeriod(d as string);
    return (t) => addPeriod(t, p, sign);
  });
}

const durUnits: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};
export function parseGoDuration(s: string): bigint {
  const orig = s;
  let neg = false;
  if (s[0] === "-" || s[0] === "+") {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (!s) throw rtErr(`time: invalid duration "${orig}"`);
  let total = 0;
  const re = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (s) {
    const m = re.exec(s);
    if (!m || m[1] === "" || m[1] === ".") {
      if (/^[0-9.]+$/.test(s)) throw rtErr(`time: missing unit in duration "${orig}"`);
      throw rtErr(`time: invalid duration "${orig}"`);
    }
    total += Number(m[1]) * durUnits[m[2]];
    s = s.slice(m[0].length);
  }
  return BigInt(Math.round(neg ? -total : total));
}
strMethod("parse_duration", [], () => (s) => parseGoDuration(s));
strMethod("parse_duration_iso8601", [], () => (s) => {
  const p = parseIsoPeriod(s);
  const secs = p.y * 365.2425 * 86400 + p.m * 30.436875 * 86400 + p.d * 86400 + p.h * 3600 + p.min * 60 + p.s;
  return BigInt(Math.round(secs * 1e9));
});
