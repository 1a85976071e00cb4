// A subset of Go's fmt.Sprintf sufficient for Bloblang's `format` method: %v %s %d %f %e %g %x %X %o
// %b %q %t %T %c %U %%, with flags (- + # 0 space), width and precision.
import type { Value } from "../value";
import { GoNum, Timestamp, fromUtf8, isObject } from "../value";
import { formatFloatG, goFmtV, toJsonText } from "../format";
import { goTypeName } from "../value";
import { goQuote } from "../quote";

function pad(s: string, width: number | undefined, left: boolean, zero: boolean): string {
  if (width === undefined || s.length >= width) return s;
  if (left) return s + " ".repeat(width - s.length);
  if (zero) {
    const sign = s[0] === "-" || s[0] === "+" ? s[0] : "";
    return sign + "0".repeat(width - s.length) + s.slice(sign.length);
  }
  return " ".repeat(width - s.length) + s;
}

function fmtFloat(f: number, verb: string, prec: number | undefined): string {
  if (Number.isNaN(f)) return "NaN";
  if (!Number.isFinite(f)) return f > 0 ? "+Inf" : "-Inf";
  switch (verb) {
    case "f":
    case "F":
      return f.toFixed(prec ?? 6);
    case "e":
    case "E": {
      const s = f.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, "e$10$2");
      return verb === "E" ? s.toUpperCase() : s;
    }
    case "g":
    case "G":
      if (prec === undefined) return formatFloatG(f);
      return String(Number(f.toPrecision(prec || 1)));
  }
  return formatFloatG(f);
}

export function sprintf(format: string, args: Value[]): string {
  let out = "";
  let argi = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== "%") {
      out += c;
      continue;
    }
    i++;
    let left = false,
      plus = false,
      zero = false,
      sharp = false,
      space = false;
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === "-") left = true;
      else if (f === "+") plus = true;
      else if (f === "0") zero = true;
      else if (f === "#") sharp = true;
      else if (f === " ") space = true;
      else break;
    }
    let width: number | undefined;
    let prec: number | undefined;
    if (format[i] === "*") {
      width = Number(args[argi++]);
      i++;
    } else {
      let w = "";
      while (/[0-9]/.test(format[i] ?? "")) w += format[i++];
      if (w) width = Number(w);
    }
    if (format[i] === ".") {
      i++;
      let p = "";
      while (/[0-9]/.test(format[i] ?? "")) p += format[i++];
      prec = p ? Number(p) : 0;
    }
    const verb = format[i];
    if (verb === undefined) {
      out += "%!(NOVERB)";
      break;
    }
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const raw = args[argi++];
    // Go width numerics format like their underlying integer/float (only %T shows the width)
    const a = raw instanceof GoNum ? raw.v : raw;
    let s: string;
    switch (verb) {
      case "v":
        s = sharp ? goSharpV(a) : plus && isObject(a) ? goFmtV(a) : goFmtV(a);
        break;
      case "s":
        if (typeof a === "string") s = a;
        else if (a instanceof Uint8Array) s = fromUtf8(a);
        else if (typeof a === "bigint" || typeof a === "number" || typeof a === "boolean")
          s = `%!s(${goTypeName(a)}=${goFmtV(a)})`;
        else s = goFmtV(a);
        if (prec !== undefined) s = [...s].slice(0, prec).join("");
        break;
      case "q":
        if (typeof a === "string" || a instanceof Uint8Array)
          s = goQuote(typeof a === "string" ? a : fromUtf8(a));
        else if (typeof a === "bigint") s = "'" + String.fromCodePoint(Number(a)) + "'";
        else s = `%!q(${goTypeName(a)}=${goFmtV(a)})`;
        break;
      case "d":
        if (typeof a === "bigint") s = a.toString();
        else if (Array.isArray(a))
          s = "[" + a.map((x) => (typeof x === "bigint" ? x.toString() : goFmtV(x))).join(" ") + "]";
        else s = `%!d(${goTypeName(a)}=${goFmtV(a)})`;
        if (typeof a === "bigint") {
          if (plus && a >= 0n) s = "+" + s;
          else if (space && a >= 0n) s = " " + s;
          if (prec !== undefined) {
            const neg = s.startsWith("-");
            const digits = neg ? s.slice(1) : s;
            s = (neg ? "-" : "") + digits.padStart(prec, "0");
          }
        }
        break;
      case "f":
      case "F":
      case "e":
      case "E":
      case "g":
      case "G":
        if (typeof a === "number" || typeof a === "bigint") {
          s = typeof a === "bigint" ? `%!${verb}(int64=${a})` : fmtFloat(a, verb, prec);
          if (typeof a === "number" && plus && a >= 0) s = "+" + s;
          else if (typeof a === "number" && space && a >= 0) s = " " + s;
        } else s = `%!${verb}(${goTypeName(a)}=${goFmtV(a)})`;
        break;
      case "x":
      case "X": {
        if (typeof a === "bigint") s = (a < 0n ? "-" : "") + (a < 0n ? -a : a).toString(16);
        else if (typeof a === "string") s = Buffer.from(a, "utf8").toString("hex");
        else if (a instanceof Uint8Array) s = Buffer.from(a).toString("hex");
        else if (typeof a === "number") s = fmtHexFloat(a);
        else s = `%!${verb}(${goTypeName(a)}=${goFmtV(a)})`;
        if (sharp && typeof a === "bigint") s = "0x" + s;
        if (verb === "X") s = s.toUpperCase();
        break;
      }
      case "o":
        s = typeof a === "bigint" ? (sharp ? "0" : "") + a.toString(8) : `%!o(${goTypeName(a)}=${goFmtV(a)})`;
        break;
      case "b":
        s = typeof a === "bigint" ? a.toString(2) : `%!b(${goTypeName(a)}=${goFmtV(a)})`;
        break;
      case "c":
        s = typeof a === "bigint" ? String.fromCodePoint(Number(a)) : `%!c(${goTypeName(a)}=${goFmtV(a)})`;
        break;
      case "U":
        s =
          typeof a === "bigint"
            ? "U+" + a.toString(16).toUpperCase().padStart(4, "0")
            : `%!U(${goTypeName(a)}=${goFmtV(a)})`;
        break;
      case "t":
        s = typeof a === "boolean" ? String(a) : `%!t(${goTypeName(a)}=${goFmtV(a)})`;
        break;
      case "T":
        s = goTypeName(raw);
        break;
      default:
        s = `%!${verb}(${goTypeName(a)}=${goFmtV(a)})`;
    }
    out += pad(s, width, left, zero && !left && verb !== "s" && verb !== "v");
  }
  if (argi < args.length) {
    out +=
      "%!(EXTRA " +
      args
        .slice(argi)
        .map((a) => `${goTypeName(a)}=${goFmtV(a)}`)
        .join(", ") +
      ")";
  }
  return out;
}

function fmtHexFloat(f: number): string {
  return f.toString(16);
}

function goSharpV(a: Value): string {
  if (typeof a === "string") return goQuote(a);
  if (a instanceof Timestamp) return goFmtV(a);
  if (Array.isArray(a) || isObject(a)) return toJsonText(a);
  return goFmtV(a);
}
