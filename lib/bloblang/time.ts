// Go-style time layouts ("2006-01-02T15:04:05Z07:00"): formatting and parsing of Timestamp values.
import type { Location } from "./value";
import { Timestamp, UTC, fixedZone, localLocation } from "./value";

export const RFC3339Nano = "2006-01-02T15:04:05.999999999Z07:00";
export const RFC3339 = "2006-01-02T15:04:05Z07:00";

const longDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const longMonths = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

type Chunk = { lit: string } | { std: string; digits?: number; sep?: string; trim?: boolean };

const cache = new Map<string, Chunk[]>();

/** Splits a Go layout into literal text and standard tokens (mirrors time.nextStdChunk). */
function chunks(layout: string): Chunk[] {
  const hit = cache.get(layout);
  if (hit) return hit;
  const out: Chunk[] = [];
  let lit = "";
  const push = (c: Chunk) => {
    if (lit) out.push({ lit });
    lit = "";
    out.push(c);
  };
  let i = 0;
  const at = (s: string) => layout.startsWith(s, i);
  while (i < layout.length) {
    const c = layout[i];
    let tok: string | null = null;
    switch (c) {
      case "J":
        if (at("January")) tok = "January";
        else if (at("Jan")) tok = "Jan";
        break;
      case "M":
        if (at("Monday")) tok = "Monday";
        else if (at("Mon")) tok = "Mon";
        else if (at("MST")) tok = "MST";
        break;
      case "0":
        if (/^0[1-6]/.test(layout.slice(i, i + 2))) tok = layout.slice(i, i + 2);
        else if (at("002")) tok = "002";
        break;
      case "1":
        if (at("15")) tok = "15";
        else tok = "1";
        break;
      case "2":
        if (at("2006")) tok = "2006";
        else tok = "2";
        break;
      case "_":
        if (at("_2006")) {
          lit += "_";
          i++;
          tok = "2006";
        } else if (at("__2")) tok = "__2";
        else if (at("_2")) tok = "_2";
        break;
      case "3":
      case "4":
      case "5":
        tok = c;
        break;
      case "P":
        if (at("PM")) tok = "PM";
        break;
      case "p":
        if (at("pm")) tok = "pm";
        break;
      case "Z":
        for (const t of ["Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07"]) if (!tok && at(t)) tok = t;
        break;
      case ".":
      case ",":
        if (i + 1 < layout.length && (layout[i + 1] === "0" || layout[i + 1] === "9")) {
          const ch = layout[i + 1];
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          // only a fractional second if not followed by another digit
          if (!(j < layout.length && /[0-9]/.test(layout[j]))) {
            push({ std: "frac", digits: j - i - 1, sep: c, trim: ch === "9" });
            i = j;
            continue;
          }
        }
        break;
    }
    if (c === "-" && tok === null) {
      for (const t of ["-070000", "-07:00:00", "-0700", "-07:00", "-07"])
        if (at(t)) {
          tok = t;
          break;
        }
    }
    if (tok) {
      push({ std: tok });
      i += tok.length;
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) out.push({ lit });
  cache.set(layout, out);
  return out;
}

interface Civil {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  min: number;
  sec: number;
  wday: number;
  yday: number;
}

export function civil(t: Timestamp): Civil & { off: number } {
  const off = t.offset();
  const local = t.sec + off;
  const days = Math.floor(local / 86400);
  let rem = local - days * 86400;
  const hour = Math.floor(rem / 3600);
  rem -= hour * 3600;
  const min = Math.floor(rem / 60);
  const sec = rem - min * 60;
  const d = new Date(days * 86400000);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  const wday = d.getUTCDay();
  const yday = Math.floor((Date.UTC(year, month - 1, day) - Date.UTC(year, 0, 1)) / 86400000) + 1;
  return { year, month, day, hour, min, sec, wday, yday, off };
}

const pad = (n: number, w: number) => {
  const s = String(Math.abs(n)).padStart(w, "0");
  return n < 0 ? "-" + s : s;
};

export function formatTime(t: Timestamp, layout: string): string {
  const c = civil(t);
  let out = "";
  for (const ch of chunks(layout)) {
    if ("lit" in ch) {
      out += ch.lit;
      continue;
    }
    switch (ch.std) {
      case "January":
        out += longMonths[c.month - 1];
        break;
      case "Jan":
        out += longMonths[c.month - 1].slice(0, 3);
        break;
      case "Monday":
        out += longDays[c.wday];
        break;
      case "Mon":
        out += longDays[c.wday].slice(0, 3);
        break;
      case "MST":
        out += t.loc.abbrev(t.sec);
        break;
      case "01":
        out += pad(c.month, 2);
        break;
      case "1":
        out += c.month;
        break;
      case "02":
        out += pad(c.day, 2);
        break;
      case "2":
        out += c.day;
        break;
      case "_2":
        out += String(c.day).padStart(2, " ");
        break;
      case "002":
        out += pad(c.yday, 3);
        break;
      case "__2":
        out += String(c.yday).padStart(3, " ");
        break;
      case "2006":
        out += pad(c.year, 4);
        break;
      case "06":
        out += pad(c.year % 100, 2);
        break;
      case "15":
        out += pad(c.hour, 2);
        break;
      case "03":
        out += pad(c.hour % 12 === 0 ? 12 : c.hour % 12, 2);
        break;
      case "3":
        out += c.hour % 12 === 0 ? 12 : c.hour % 12;
        break;
      case "04":
        out += pad(c.min, 2);
        break;
      case "4":
        out += c.min;
        break;
      case "05":
        out += pad(c.sec, 2);
        break;
      case "5":
        out += c.sec;
        break;
      case "PM":
        out += c.hour >= 12 ? "PM" : "AM";
        break;
      case "pm":
        out += c.hour >= 12 ? "pm" : "am";
        break;
      case "frac": {
        let f = String(t.nsec).padStart(9, "0").slice(0, ch.digits);
        if (ch.trim) {
          f = f.replace(/0+$/, "");
          if (f) out += "." + f;
        } else out += ch.sep + f;
        break;
      }
      default: {
        // zones
        const z = ch.std;
        if (z.startsWith("Z") && c.off === 0) {
          out += "Z";
          break;
        }
        const off = c.off;
        const sign = off < 0 ? "-" : "+";
        const a = Math.abs(off);
        const hh = pad(Math.floor(a / 3600), 2);
        const mm = pad(Math.floor((a % 3600) / 60), 2);
        const ss = pad(a % 60, 2);
        const body = z.slice(1);
        if (body === "07") out += sign + hh;
        else if (body === "0700") out += sign + hh + mm;
        else if (body === "07:00") out += sign + hh + ":" + mm;
        else if (body === "070000") out += sign + hh + mm + ss;
        else if (body === "07:00:00") out += sign + hh + ":" + mm + ":" + ss;
      }
    }
  }
  return out;
}

export class TimeParseError extends Error {}

function quote(s: string) {
  return JSON.stringify(s);
}

/** Parses like Go's time.Parse (defaultLoc = UTC) / time.ParseInLocation. */
export function parseTime(layout: string, value: string, defaultLoc: Location = UTC): Timestamp {
  const orig = value;
  let year = 1,
    month = 1,
    day = 1,
    hour = 0,
    min = 0,
    sec = 0,
    nsec = 0,
    pmSet = false,
    amSet = false,
    yday = -1;
  let zoneOff: number | null = null;
  let zoneName = "";
  const fail = (elem: string, rest: string, msg = "") => {
    if (msg) return new TimeParseError(`parsing time ${quote(orig)}${msg}`);
    return new TimeParseError(
      `parsing time ${quote(orig)} as ${quote(layout)}: cannot parse ${quote(rest)} as ${quote(elem)}`,
    );
  };
  const num = (min: number, max: number, elem: string): number => {
    const m = new RegExp(`^[0-9]{${min},${max}}`).exec(value);
    if (!m) throw fail(elem, value);
    value = value.slice(m[0].length);
    return Number(m[0]);
  };
  const lookup = (tab: string[], elem: string, short: boolean): number => {
    for (let i = 0; i < tab.length; i++) {
      const name = short ? tab[i].slice(0, 3) : tab[i];
      if (value.length >= name.length && value.slice(0, name.length).toLowerCase() === name.toLowerCase()) {
        value = value.slice(name.length);
        return i;
      }
    }
    throw fail(elem, value);
  };
  const cs = chunks(layout);
  for (let ci = 0; ci < cs.length; ci++) {
    const ch = cs[ci];
    if ("lit" in ch) {
      // Go skips leading spaces flexibly only in some cases; keep it strict but tolerate spaces
      let l = ch.lit;
      while (l.length && value.length) {
        if (l[0] === value[0]) {
          l = l.slice(1);
          value = value.slice(1);
        } else break;
      }
      if (l.length) throw fail(ch.lit, value);
      continue;
    }
    const std = ch.std;
    const hold = value;
    switch (std) {
      case "2006":
        if (value.length < 4 || !/^[0-9]{4}/.test(value)) throw fail(std, value);
        year = Number(value.slice(0, 4));
        value = value.slice(4);
        break;
      case "06": {
        const y = num(2, 2, std);
        year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case "January":
        month = lookup(longMonths, std, false) + 1;
        break;
      case "Jan":
        month = lookup(longMonths, std, true) + 1;
        break;
      case "Monday":
        lookup(longDays, std, false);
        break;
      case "Mon":
        lookup(longDays, std, true);
        break;
      case "01":
        month = num(2, 2, std);
        if (month < 1 || month > 12) throw fail(std, hold, ": month out of range");
        break;
      case "1":
        month = num(1, 2, std);
        if (month < 1 || month > 12) throw fail(std, hold, ": month out of range");
        break;
      case "02":
        day = num(2, 2, std);
        break;
      case "2":
        day = num(1, 2, std);
        break;
      case "_2":
        if (value[0] === " ") value = value.slice(1);
        day = num(1, 2, std);
        break;
      case "002":
        yday = num(3, 3, std);
        break;
      case "__2":
        value = value.replace(/^ {1,2}/, "");
        yday = num(1, 3, std);
        break;
      case "15":
        hour = num(1, 2, std);
        if (hour > 23) throw fail(std, hold, ": hour out of range");
        break;
      case "03":
        hour = num(2, 2, std);
        if (hour > 12) throw fail(std, hold, ": hour out of range");
        break;
      case "3":
        hour = num(1, 2, std);
        if (hour > 12) throw fail(std, hold, ": hour out of range");
        break;
      case "04":
        min = num(2, 2, std);
        if (min > 59) throw fail(std, hold, ": minute out of range");
        break;
      case "4":
        min = num(1, 2, std);
        if (min > 59) throw fail(std, hold, ": minute out of range");
        break;
      case "05":
      case "5": {
        sec = std === "05" ? num(2, 2, std) : num(1, 2, std);
        if (sec > 59) throw fail(std, hold, ": second out of range");
        // Go accepts a fractional second after seconds even if the layout has none
        const next = cs[ci + 1];
        if (/^[.,][0-9]/.test(value) && !(next && !("lit" in next) && next.std === "frac")) {
          const m = /^[.,]([0-9]+)/.exec(value)!;
          nsec = Number((m[1] + "000000000").slice(0, 9));
          value = value.slice(m[0].length);
        }
        break;
      }
      case "PM":
      case "pm": {
        const p = value.slice(0, 2).toUpperCase();
        if (p === "PM") pmSet = true;
        else if (p === "AM") amSet = true;
        else throw fail(std, value);
        value = value.slice(2);
        break;
      }
      case "MST": {
        const m = /^(UTC|GMT[+-]?[0-9]{0,2}|[A-Z]{3,5})/.exec(value);
        if (!m) throw fail(std, value);
        zoneName = m[1];
        value = value.slice(m[0].length);
        break;
      }
      case "frac": {
        if (ch.trim) {
          const m = /^[.,]([0-9]+)/.exec(value);
          if (m) {
            nsec = Number((m[1] + "000000000").slice(0, 9));
            value = value.slice(m[0].length);
          }
        } else {
          const m = new RegExp(`^[.,]([0-9]{${ch.digits}})`).exec(value);
          if (!m) throw fail(ch.sep + "0".repeat(ch.digits ?? 0), value);
          nsec = Number((m[1] + "000000000").slice(0, 9));
          value = value.slice(m[0].length);
        }
        break;
      }
      default: {
        // zone offsets
        if (std.startsWith("Z") && value[0] === "Z") {
          value = value.slice(1);
          zoneOff = 0;
          zoneName = "UTC";
          break;
        }
        const body = std.slice(1);
        let re: RegExp;
        if (body === "07") re = /^([+-])([0-9]{2})/;
        else if (body === "0700") re = /^([+-])([0-9]{2})([0-9]{2})/;
        else if (body === "07:00") re = /^([+-])([0-9]{2}):([0-9]{2})/;
        else if (body === "070000") re = /^([+-])([0-9]{2})([0-9]{2})([0-9]{2})/;
        else re = /^([+-])([0-9]{2}):([0-9]{2}):([0-9]{2})/;
        const m = re.exec(value);
        if (!m) throw fail(std, value);
        const off =
          (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * (m[1] === "-" ? -1 : 1);
        zoneOff = off;
        value = value.slice(m[0].length);
      }
    }
  }
  if (value.length) throw new TimeParseError(`parsing time ${quote(orig)}: extra text: ${quote(value)}`);
  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;
  if (yday >= 0) {
    const d = new Date(Date.UTC(year, 0, yday));
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
  }
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > dim) throw new TimeParseError(`parsing time ${quote(orig)}: day out of range`);
  const dt = new Date(0);
  dt.setUTCFullYear(year, month - 1, day);
  dt.setUTCHours(hour, min, sec, 0);
  const localSec = Math.floor(dt.getTime() / 1000);
  if (zoneOff !== null) {
    const loc = zoneOff === 0 && zoneName === "UTC" ? UTC : zoneOff === 0 ? UTC : fixedZone("", zoneOff);
    return new Timestamp(localSec - zoneOff, nsec, loc);
  }
  if (zoneName) {
    if (zoneName === "UTC" || zoneName === "GMT") return new Timestamp(localSec, nsec, UTC);
    // unknown abbreviation: Go fabricates a zone with zero offset
    return new Timestamp(localSec, nsec, fixedZone(zoneName, 0));
  }
  const off = defaultLoc.offsetAt(localSec);
  return new Timestamp(localSec - defaultLoc.offsetAt(localSec - off), nsec, defaultLoc);
}

export function nowTimestamp(): Timestamp {
  const ms = Date.now();
  const t = Timestamp.fromMillis(ms, localLocation());
  // sub-millisecond digits from the monotonic clock so consecutive calls differ
  const sub = Number(process.hrtime.bigint() % 1000000n);
  return new Timestamp(t.sec, t.nsec + sub, t.loc);
}

// ---- strftime (for ts_strftime / ts_strptime) ----
const strfMap: Record<string, string> = {
  "%Y": "2006",
  "%m": "01",
  "%d": "02",
  "%H": "15",
  "%M": "04",
  "%S": "05",
  "%y": "06",
  "%b": "Jan",
  "%B": "January",
  "%a": "Mon",
  "%A": "Monday",
  "%p": "PM",
  "%I": "03",
  "%z": "-0700",
  "%Z": "MST",
  "%j": "002",
  "%e": "_2",
  "%f": ".000000",
  "%L": ".000",
  "%%": "%",
  "%T": "15:04:05",
  "%D": "01/02/06",
  "%F": "2006-01-02",
  "%R": "15:04",
};
export function strftimeToLayout(f: string): string {
  return f.replace(/%[a-zA-Z%]/g, (m) => strfMap[m] ?? m);
}
