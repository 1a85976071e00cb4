// Error classes. Messages follow the shapes of the Go implementation so users (and tests matching
// substrings) see the same text as with Benthos.
import type { Value } from "./value";
import { typeOf } from "./value";

export class BloblangError extends Error {
  code: string;
  constructor(message: string, code = "BLOBLANG_RUNTIME") {
    super(message);
    this.code = code;
    this.name = "BloblangError";
  }
}

export class BloblangCompileError extends BloblangError {
  constructor(message: string) {
    super(message, "BLOBLANG_COMPILE");
    this.name = "BloblangCompileError";
  }
}

/**
 * A runtime error raised while evaluating. `annotated`: an `<annotation>: ` prefix exists somewhere in
 * the message (Go: an errFrom in the chain). `noWrap`: this error itself is never prefixed (Go's
 * TypeMismatch), until something wraps it.
 */
export class QueryError extends BloblangError {
  annotated = false;
  noWrap = false;
  constructor(message: string) {
    super(message);
  }
}

/** Go's value.TypeError: "expected X value, got Y from Z (v)". `from` is filled in lazily. */
export class ValueTypeError extends QueryError {
  from = "";
  constructor(
    readonly expected: string[],
    readonly actual: string,
    readonly valueStr: string,
  ) {
    super("");
    this.message = this.render();
  }
  setFrom(from: string): void {
    if (this.from) return;
    this.from = from;
    this.message = this.render();
  }
  render(): string {
    let s: string;
    if (this.expected.length > 0) {
      s = "expected ";
      this.expected.forEach((e, i) => {
        if (i > 0) s += this.expected.length > 2 && i < this.expected.length - 1 ? ", " : " or ";
        s += e;
      });
      s += " value";
    } else s = "unexpected value";
    s += `, got ${this.actual}`;
    if (this.from) s += ` from ${this.from}`;
    if (this.valueStr) s += ` (${this.valueStr})`;
    return s;
  }
}

/** Go's TypeMismatch: "cannot add types number (from x) and string (from y)". Never re-prefixed. */
export class TypeMismatchError extends QueryError {
  constructor(op: string, lAnn: string, rAnn: string, l: Value, r: Value) {
    super(`cannot ${op} types ${typeOf(l)} (from ${lAnn}) and ${typeOf(r)} (from ${rAnn})`);
    this.noWrap = true;
  }
}

export function typeError(v: Value, ...expected: string[]): ValueTypeError {
  const t = typeOf(v);
  let vs = "";
  if (t === "string") vs = `"${v as string}"`;
  else if (t === "bool" || t === "number") vs = goFmtV(v);
  return new ValueTypeError(expected, t, vs);
}

/** Go's ErrFrom: prefix an error with the annotation of the expression it came from. */
export function errFrom(err: unknown, annotation: string): unknown {
  if (err instanceof ValueTypeError) {
    err.setFrom(annotation);
    return err;
  }
  if (err instanceof QueryError) {
    if (err.annotated || err.noWrap) return err;
    err.message = `${annotation}: ${err.message}`;
    err.annotated = true;
    return err;
  }
  if (err instanceof BloblangError) return err;
  const e = new QueryError(`${annotation}: ${err instanceof Error ? err.message : String(err)}`);
  e.annotated = true;
  return e;
}

/**
 * Go's fmt.Errorf("<prefix>%w", err): the result is a plain error (a later ErrFrom prefixes it with an
 * annotation instead of filling a type error's "from").
 */
export function prefixErr(e: unknown, prefix: string): unknown {
  if (e instanceof ValueTypeError) return new QueryError(prefix + e.message);
  if (e instanceof BloblangError) {
    e.message = prefix + e.message;
    if (e instanceof QueryError) e.noWrap = false;
    return e;
  }
  return e;
}

/** A plain runtime error (not yet annotated). */
export function rtErr(msg: string): QueryError {
  return new QueryError(msg);
}

// Imported lazily to avoid a cycle: formatting numbers the way Go's %v does.
import { goFmtV } from "./format";
