// Binary operators with V1's four-pass precedence (`* / % |`, `+ -`, comparisons, `&& ||`) and
// number degradation (float if either side is a float, else int64 with wrap-around).
import type { Fn } from "./runtime";
import type { Value } from "./value";
import { GoNum, Timestamp, fromUtf8, wrapI64 } from "./value";
import { BloblangError, TypeMismatchError, errFrom, rtErr } from "./errors";
import { getBool, getInt, getNumber, getString, iCompare, isNull, restrict } from "./coerce";

export type Op = "+" | "-" | "*" | "/" | "%" | "==" | "!=" | ">" | "<" | ">=" | "<=" | "&&" | "||" | "|";

const opName: Record<Op, string> = {
  "+": "add",
  "-": "subtract",
  "/": "divide",
  "*": "multiply",
  "%": "modulo",
  "==": "compare",
  "!=": "compare",
  ">": "compare",
  "<": "compare",
  ">=": "compare",
  "<=": "compare",
  "&&": "boolean and",
  "||": "boolean or",
  "|": "coalesce",
};

type BinFn = (l: Value, r: Value, lf: Fn, rf: Fn) => Value;

function isNum(v: Value): boolean {
  return typeof v === "bigint" || typeof v === "number";
}

/** numberDegradationFunc: float if either is float; otherwise int64. */
function degrade(
  op: Op,
  intFn: (a: bigint, b: bigint) => Value,
  floatFn: (a: number, b: number) => Value,
): BinFn {
  return (l, r, lf, rf) => {
    if (typeof l === "number") {
      if (!isNum(r)) throw new TypeMismatchError(opName[op], lf.ann, rf.ann, l, r);
      return floatFn(l, Number(r));
    }
    if (typeof r === "number") {
      if (!isNum(l)) throw new TypeMismatchError(opName[op], lf.ann, rf.ann, l, r);
      return floatFn(Number(l), r);
    }
    if (typeof l === "bigint" && typeof r === "bigint") return intFn(l, r);
    throw new TypeMismatchError(opName[op], lf.ann, rf.ann, l, r);
  };
}

const divZero = () => rtErr("attempted to divide by zero");

const mul = degrade(
  "*",
  (a, b) => wrapI64(a * b),
  (a, b) => a * b,
);
const sub = degrade(
  "-",
  (a, b) => wrapI64(a - b),
  (a, b) => a - b,
);
const numAdd = degrade(
  "+",
  (a, b) => wrapI64(a + b),
  (a, b) => a + b,
);

function opFunc(op: Op): BinFn {
  switch (op) {
    case "*":
      return mul;
    case "-":
      return sub;
    case "+":
      return (l, r, lf, rf) => {
        if (typeof l === "string" && typeof r === "string") return l + r;
        if (isNum(l)) return numAdd(l, r, lf, rf);
        if (typeof l === "string" || l instanceof Uint8Array) {
          let rs: string;
          if (typeof r === "string") rs = r;
          else if (r instanceof Uint8Array) rs = fromUtf8(r);
          else if (r instanceof Timestamp) rs = getString(r);
          else throw new TypeMismatchError("add", lf.ann, rf.ann, l, r);
          return (typeof l === "string" ? l : fromUtf8(l)) + rs;
        }
        throw new TypeMismatchError("add", lf.ann, rf.ann, l, r);
      };
    case "/":
      return (l, r, lf, rf) => {
        if (!isNum(l) || !isNum(r)) throw new TypeMismatchError("divide", lf.ann, rf.ann, l, r);
        const b = Number(r);
        if (b === 0) throw errFrom(divZero(), rf.ann);
        return Number(l) / b;
      };
    case "%":
      return (l, r, lf, rf) => {
        if (!isNum(l) || !isNum(r)) throw new TypeMismatchError("modulo", lf.ann, rf.ann, l, r);
        const a = getInt(l);
        const b = getInt(r);
        if (b === 0n) throw errFrom(divZero(), rf.ann);
        return wrapI64(a % b);
      };
    default:
      return compareFunc(op);
  }
}

function cmpT<T extends number | bigint | string>(op: Op, a: T, b: T): boolean {
  switch (op) {
    case "==":
      return a === b;
    case "!=":
      return a !== b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
  }
  return false;
}

function compareFunc(op: Op): BinFn {
  const isEq = op === "==" || op === "!=";
  const generic = (l: Value, r: Value) => (op === "==" ? iCompare(l, r) : !iCompare(l, r));
  return (l, r, lf, rf) => {
    const lr = restrict(l);
    if (typeof lr === "string") {
      let rs: string | null = null;
      if (typeof r === "string") rs = r;
      else if (r instanceof Uint8Array || r instanceof Timestamp) rs = getString(r);
      if (rs === null) {
        if (!isEq) throw new TypeMismatchError("compare", lf.ann, rf.ann, l, r);
        return generic(lr, restrict(r));
      }
      return cmpT(op, lr, rs);
    }
    if (typeof lr === "number") {
      if (typeof l === "number" || typeof r === "number") {
        if (!isNum(r)) {
          if (!isEq) throw new TypeMismatchError("compare", lf.ann, rf.ann, l, r);
          return generic(lr, restrict(r));
        }
        return cmpT(op, Number(l), Number(r));
      }
      if (typeof r === "bigint") return cmpT(op, l as bigint, r);
      if (!isEq) throw new TypeMismatchError("compare", lf.ann, rf.ann, l, r);
      return generic(lr, restrict(r));
    }
    if (typeof lr === "boolean") {
      if (!isEq) throw new TypeMismatchError("compare", lf.ann, rf.ann, l, r);
      let rb: boolean | null = null;
      if (typeof r === "boolean") rb = r;
      else if (typeof r === "bigint") rb = r !== 0n;
      else if (typeof r === "number") rb = r !== 0;
      if (rb === null) return generic(lr, restrict(r));
      return op === "==" ? lr === rb : lr !== rb;
    }
    if (!isEq) throw new TypeMismatchError("compare", lf.ann, rf.ann, l, r);
    return generic(l, r);
  };
}

/** Operators over Go width numerics: uint op uint stays uint64 (wrapping); otherwise int64/float64. */
function goNumOp(op: Op, f: BinFn, l: Value, r: Value, lf: Fn, rf: Fn): Value {
  const lu = l instanceof GoNum && l.unsigned;
  const ru = r instanceof GoNum && r.unsigned;
  if (lu && ru && (op === "+" || op === "-" || op === "*")) {
    const a = (l as GoNum).v as bigint;
    const b = (r as GoNum).v as bigint;
    const v = op === "+" ? a + b : op === "-" ? a - b : a * b;
    return new GoNum("uint64", BigInt.asUintN(64, v));
  }
  const view = (x: Value): Value => {
    if (!(x instanceof GoNum)) return x;
    if (typeof x.v === "number") return x.v;
    // comparisons between two unsigned values keep their magnitude; mixed with int64 Go wraps (IGetInt)
    return lu && ru ? x.v : BigInt.asIntN(64, x.v);
  };
  return f(view(l), view(r), lf, rf);
}

function arith(lf: Fn, rf: Fn, op: Op): Fn {
  const f = opFunc(op);
  const ann = rf.ann;
  const run = (l: Value, r: Value): Value =>
    l instanceof GoNum || r instanceof GoNum ? goNumOp(op, f, l, r, lf, rf) : f(l, r, lf, rf);
  if (lf.lit && rf.lit) {
    // constant folding: errors surface at compile time
    const v = run(lf.lit.value, rf.lit.value);
    return literal(v, ann);
  }
  const le = lf.exec.bind(lf);
  const re = rf.exec.bind(rf);
  return { ann, exec: (ctx) => run(le(ctx), re(ctx)) };
}

export function literal(v: Value, ann?: string): Fn {
  const a = ann ?? literalAnn(v);
  return { ann: a, exec: () => v, lit: { value: v } };
}
import { typeOf } from "./value";
export function literalAnn(v: Value): string {
  return `${typeOf(v)} literal`;
}

function boolAnd(lf: Fn, rf: Fn): Fn {
  return {
    ann: rf.ann,
    exec: (ctx) => {
      if (!getBool(lf.exec(ctx))) return false;
      return getBool(rf.exec(ctx));
    },
  };
}
function boolOr(lf: Fn, rf: Fn): Fn {
  return {
    ann: rf.ann,
    exec: (ctx) => {
      if (getBool(lf.exec(ctx))) return true;
      return getBool(rf.exec(ctx));
    },
  };
}
function coalesce(lf: Fn, rf: Fn): Fn {
  return {
    ann: rf.ann,
    exec: (ctx) => {
      try {
        const v = lf.exec(ctx);
        if (!isNull(v)) return v;
      } catch (e) {
        if (!(e instanceof BloblangError)) throw e;
      }
      return rf.exec(ctx);
    },
  };
}

/** NewArithmeticExpression: resolves a flat operand/operator list with V1's passes. */
export function arithmetic(fns: Fn[], ops: Op[]): Fn {
  if (fns.length === 1) return fns[0];
  const pass = (test: (o: Op) => boolean, build: (l: Fn, r: Fn, o: Op) => Fn) => {
    const nf = [fns[0]];
    const no: Op[] = [];
    ops.forEach((op, i) => {
      const r = fns[i + 1];
      if (test(op)) nf[nf.length - 1] = build(nf[nf.length - 1], r, op);
      else {
        nf.push(r);
        no.push(op);
      }
    });
    fns = nf;
    ops = no;
  };
  pass(
    (o) => o === "*" || o === "/" || o === "%" || o === "|",
    (l, r, o) => (o === "|" ? coalesce(l, r) : arith(l, r, o)),
  );
  if (fns.length > 1) pass((o) => o === "+" || o === "-", arith);
  if (fns.length > 1) pass((o) => ["==", "!=", ">", "<", ">=", "<="].includes(o), arith);
  if (fns.length > 1)
    pass(
      (o) => o === "&&" || o === "||",
      (l, r, o) => (o === "&&" ? boolAnd(l, r) : boolOr(l, r)),
    );
  return fns[0];
}

export { getNumber };
