// Number methods.
import { simpleMethod } from "../registry";
import type { Value } from "../value";
import { MAX_I64, MIN_I64 } from "../value";
import { prefixErr, rtErr, typeError } from "../errors";
import { getInt, getNumber } from "../coerce";

function goRound(f: number): number {
  // Go's math.Round: half away from zero
  if (!Number.isFinite(f)) return f;
  const t = Math.trunc(f);
  return Math.abs(f - t) >= 0.5 ? t + Math.sign(f) : t;
}

/** A float → integer result like Go's `if i, err := IToInt(f); err == nil { return i }`. */
function intIfExact(f: number): Value {
  if (Number.isFinite(f) && f === Math.trunc(f) && f < 2 ** 63 && f >= -(2 ** 63)) return BigInt(f);
  return f;
}

function numMethod(name: string, onFloat: (f: number) => Value) {
  simpleMethod(name, [], () => (v) => {
    if (typeof v === "number") return onFloat(v);
    if (typeof v === "bigint") return v;
    throw typeError(v, "number");
  });
}
numMethod("ceil", (f) => intIfExact(Math.ceil(f)));
numMethod("floor", (f) => intIfExact(Math.floor(f)));
numMethod("round", (f) => intIfExact(goRound(f)));

function floatMethod(name: string, fn: (f: number) => number) {
  simpleMethod(name, [], () => (v) => {
    if (typeof v === "number" || typeof v === "bigint") return fn(Number(v));
    throw typeError(v, "number");
  });
}
floatMethod("log", Math.log);
floatMethod("log10", Math.log10);
floatMethod("sin", Math.sin);
floatMethod("cos", Math.cos);
floatMethod("tan", Math.tan);

simpleMethod("abs", [], () => (v) => {
  if (typeof v === "number") return Math.abs(v);
  if (typeof v === "bigint") {
    if (v >= 0n) return v;
    if (v === MIN_I64) return MAX_I64;
    return -v;
  }
  throw typeError(v, "number", "integer");
});

simpleMethod("pow", [{ name: "exponent", type: "float" }], ([e]) => (v) => {
  if (typeof v === "number" || typeof v === "bigint") return Math.pow(Number(v), e as number);
  throw typeError(v, "number");
});

function minMax(name: string, better: (a: number, b: number) => boolean) {
  simpleMethod(name, [], () => (v) => {
    if (!Array.isArray(v)) throw typeError(v, "array");
    if (v.length === 0) throw rtErr("the array was empty");
    let best = 0;
    v.forEach((n, i) => {
      let f: number;
      try {
        f = getNumber(n);
      } catch (e) {
        throw prefixErr(e, `index ${i} of array: `);
      }
      if (i === 0 || better(f, best)) best = f;
    });
    return best;
  });
}
minMax("max", (a, b) => a > b);
minMax("min", (a, b) => a < b);

function bitwise(name: string, op: (a: bigint, b: bigint) => bigint) {
  simpleMethod(name, [{ name: "value", type: "integer" }], ([r]) => (v) => {
    let l: bigint;
    try {
      l = getInt(v);
    } catch {
      throw typeError(v, "integer");
    }
    return BigInt.asIntN(64, op(l, r as bigint));
  });
}
bitwise("bitwise_and", (a, b) => a & b);
bitwise("bitwise_or", (a, b) => a | b);
bitwise("bitwise_xor", (a, b) => a ^ b);
