// Execution context and compiled-expression shape shared by the parser, operators and the library.
import type { Value, ValueObject } from "./value";

/** A compiled query expression (Go's query.Function). */
export interface Fn {
  /** Human description used in error messages, e.g. "field `this.foo`", "method uppercase". */
  ann: string;
  exec(ctx: Ctx): Value;
  /** Set on literals (constant folding, literal match patterns, static args). */
  lit?: { value: Value };
  /** Set on field references so that further `.segment`s extend the path. */
  field?: { kind: "this" | "root" | "named"; name: string; path: string[] };
  /** Set on `.get`-style path methods over an arbitrary target. */
  getPath?: { target: Fn; path: string[] };
  /** Set on lambdas (named context captures). */
  named?: string;
  /** Set on lambdas: the body, run with the capture (see callWith). */
  lambdaBody?: Fn;
}

/** An argument of a function or method call, positional or named. */
export interface Arg {
  name?: string;
  fn: Fn;
}

export interface Statement {
  /** Line of the statement in its source, for "failed assignment (line N)". */
  line: number;
  exec(ctx: Ctx, as: AssignCtx): void;
}

export interface MapDef {
  name: string;
  statements: Statement[];
}

export interface AssignCtx {
  vars: Record<string, Value>;
  meta: ValueObject | null;
  root: { v: Value };
}

export interface MessageCtx {
  content?: Uint8Array;
  /** The lazily parsed message (`this` at the top level). */
  valueFn(): Value | typeof NONE;
  metadata: ValueObject;
  batchIndex: number;
  batchSize: number;
  /** The message's processing error message (Benthos' error flag), if any. */
  readonly error?: string | null;
}

export const NONE: unique symbol = Symbol("none");

/** Go's FunctionContext: a two-level value stack, named captures, vars, maps, output root & meta. */
export class Ctx {
  constructor(
    public value: Value | typeof NONE,
    public next: Value | typeof NONE,
    public named: Named | null,
    public vars: Record<string, Value>,
    public maps: Record<string, MapDef>,
    public root: { v: Value } | null,
    public meta: ValueObject | null,
    public msg: MessageCtx,
    public depth: number,
  ) {}

  /** `this`, or NONE when there is no context. */
  current(): Value | typeof NONE {
    if (this.value !== NONE) return this.value;
    return this.msg.valueFn();
  }
  withValue(v: Value): Ctx {
    return new Ctx(
      v,
      this.value,
      this.named,
      this.vars,
      this.maps,
      this.root,
      this.meta,
      this.msg,
      this.depth,
    );
  }
  /** The context one level up (what `pop` leaves), with `named` as its named captures. */
  popped(named: Named | null): Ctx {
    return new Ctx(this.next, NONE, named, this.vars, this.maps, this.root, this.meta, this.msg, this.depth);
  }
  /**
   * What `f.exec(this.withValue(v))` computes, for a query called on each element (map_each,
   * filter): a lambda `x -> body` gets its capture directly, one context instead of two.
   */
  callWith(f: Fn, v: Value): Value {
    const body = f.lambdaBody;
    if (!body) return f.exec(this.withValue(v));
    const named = f.named === "_" ? this.named : { name: f.named!, value: v, next: this.named };
    return body.exec(
      new Ctx(this.value, NONE, named, this.vars, this.maps, this.root, this.meta, this.msg, this.depth),
    );
  }
  /** The innermost capture called `name` (its `value`), or null. */
  namedValue(name: string): Named | null {
    for (let n = this.named; n; n = n.next) if (n.name === name) return n;
    return null;
  }
  with(patch: Partial<Pick<Ctx, "vars" | "root" | "depth" | "meta" | "msg">>): Ctx {
    return new Ctx(
      this.value,
      this.next,
      this.named,
      patch.vars ?? this.vars,
      this.maps,
      patch.root === undefined ? this.root : patch.root,
      patch.meta === undefined ? this.meta : patch.meta,
      patch.msg ?? this.msg,
      patch.depth ?? this.depth,
    );
  }
}

export interface Named {
  name: string;
  value: Value;
  next: Named | null;
}
