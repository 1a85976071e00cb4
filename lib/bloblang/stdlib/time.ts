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
    const format = f as string;
    const layout = strftimeToLayout(format);
    return (s) => {
      let t: Timestamp;
      try {
        t = parseTime(layout, s);
      } catch (e) {
        const m = /cannot parse "[^"]*" as "([^"]*)"/.exec((e as Error).message);
        const why = m ? `expected '${format.replace(/%./g, "")[0] ?? m[1][0]}'` : (e as Error).message;
        throw rtErr(`failed to parse ${JSON.stringify(s)} with ${JSON.stringify(format)}: ${why}`);
      }
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
interface PeriodRaw {
  y?: string;
  mo?: string;
  w?: string;
  d?: string;
  h?: string;
  mi?: string;
  s?: string;
}
/** ISO-8601 period parsing with the checks of the Go period library Benthos uses. */
function parseIsoRaw(s: string): PeriodRaw {
  if (!s.startsWith("P") && !s.startsWith("-P") && !s.startsWith("+P"))
    throw rtErr(`${s}: expected 'P' period mark at the start`);
  const body = s.slice(s.indexOf("P") + 1);
  const [date, time, extra] = body.split("T");
  if (extra !== undefined) throw rtErr(`${s}: expected 'T' at most once`);
  const raw: PeriodRaw = {};
  const order: [string, keyof PeriodRaw][] = [];
  const take = (part: string, allowed: Record<string, keyof PeriodRaw>, inTime: boolean) => {
    const re = /(-?[0-9]+(?:[.,][0-9]+)?)([A-Za-z])/y;
    let i = 0;
    while (i < part.length) {
      re.lastIndex = i;
      const m = re.exec(part);
      if (!m) throw rtErr(`${s}: expected a number but found '${part[i]}'`);
      const key = allowed[m[2]];
      if (!key) throw rtErr(`${s}: '${m[2]}' designator cannot occur here`);
      raw[key] = m[1].replace(",", ".");
      order.push([m[2] + (inTime ? "t" : ""), key]);
      i += m[0].length;
    }
  };
  take(date, { Y: "y", M: "mo", W: "w", D: "d" }, false);
  if (time !== undefined) take(time, { H: "h", M: "mi", S: "s" }, true);
  if (order.length === 0) throw rtErr(`${s}: expected a number but found end of input`);
  const fractional = order.filter(([, k]) => raw[k]!.includes("."));
  if (fractional.length > 1 || (fractional.length === 1 && fractional[0] !== order[order.length - 1]))
    throw rtErr(
      `${s}: '${fractional.map(([d]) => d[0]).join("' & '")}' only the last field can have a fraction`,
    );
  return raw;
}
function parseIsoPeriod(s: string): Period {
  const r = parseIsoRaw(s);
  const n = (x?: string) => (x ? Number(x) : 0);
  return { y: n(r.y), m: n(r.mo), d: n(r.d) + n(r.w) * 7, h: n(r.h), min: n(r.mi), s: n(r.s) };
}
/** Exact nanoseconds of a decimal string times a unit of whole seconds. */
function nanosOf(x: string | undefined, unitSecs: bigint): bigint {
  if (!x) return 0n;
  const neg = x.startsWith("-");
  const [i, f = ""] = (neg ? x.slice(1) : x).split(".");
  const frac = (f + "000000000").slice(0, 9);
  const v = (BigInt(i) * 1_000_000_000n + BigInt(frac)) * unitSecs;
  return neg ? -v : v;
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
  // a year is 365.2425 days and a month 30.436875 days, as in the Go period library
  const r = parseIsoRaw(s);
  return (
    nanosOf(r.y, 31556952n) +
    nanosOf(r.mo, 2629746n) +
    nanosOf(r.w, 604800n) +
    nanosOf(r.d, 86400n) +
    nanosOf(r.h, 3600n) +
    nanosOf(r.mi, 60n) +
    nanosOf(r.s, 1n)
  );
});
