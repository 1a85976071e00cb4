// Running a compiled mapping against a message: contexts, `apply` of named maps, error shaping.
import type { AssignCtx, Ctx as CtxT, MapDef, MessageCtx, Statement } from "./runtime";
import { Ctx, NONE } from "./runtime";
import type { Value, ValueObject } from "./value";
import { DELETE, NOTHING, fromUtf8 } from "./value";
import { BloblangError, QueryError } from "./errors";
import type { Program } from "./parser";
import { parseJsonText } from "./json";

export const MAX_MAP_STACKS = 5000;

class FailedAssignment extends QueryError {
  constructor(
    readonly line: number,
    inner: string,
  ) {
    super(`failed assignment (line ${line}): ${inner}`);
    this.annotated = true;
  }
}

function wrapStmtErr(e: unknown, stmt: Statement): unknown {
  if (e instanceof FailedAssignment) return e;
  if (e instanceof RangeError) {
    return new FailedAssignment(stmt.line, stackErr("map", MAX_MAP_STACKS));
  }
  if (e instanceof BloblangError) {
    const f = new FailedAssignment(stmt.line, e.message);
    return f;
  }
  return e;
}

function stackErr(annotation: string, max: number): string {
  return `entering ${annotation} exceeded maximum allowed stacks of ${max}, this could be due to unbounded recursion`;
}

export function runStatements(stmts: Statement[], ctx: CtxT, as: AssignCtx): void {
  for (const s of stmts) {
    try {
      s.exec(ctx, as);
    } catch (e) {
      throw wrapStmtErr(e, s);
    }
  }
}

/** Executes a named map with `v` as `this` (the `apply` method). */
export function execMap(m: MapDef, v: Value, ctx: CtxT): Value {
  if (ctx.depth + 1 > MAX_MAP_STACKS) throw new QueryError(stackErr("map " + m.name, MAX_MAP_STACKS));
  const root = { v: NOTHING as Value };
  const vars: Record<string, Value> = {};
  const inner = ctx.withValue(v).with({ vars, root, depth: ctx.depth + 1 });
  try {
    runStatements(m.statements, inner, { vars, meta: null, root });
  } catch (e) {
    if (e instanceof RangeError) throw new QueryError(stackErr("map " + m.name, MAX_MAP_STACKS));
    throw e;
  }
  return root.v;
}

export interface RunInput {
  content?: Uint8Array;
  value?: unknown;
  metadata?: Record<string, unknown>;
  vars?: Record<string, unknown>;
  batch?: { index: number; size: number };
  /** The message's processing error, if any (for `error()` / `errored()`). */
  error?: string | null;
}

export interface RunResult {
  deleted: boolean;
  value: Value;
  metadata: ValueObject;
}

/** The message being mapped; `this` at the top level is parsed lazily from `content`. */
export class MessageState implements MessageCtx {
  batchIndex: number;
  batchSize: number;
  parseErr: string | null = null;
  private parsed: Value | typeof NONE = NONE;
  private done = false;
  constructor(
    readonly input: RunInput,
    public metadata: ValueObject,
  ) {
    this.batchIndex = input.batch?.index ?? 0;
    this.batchSize = input.batch?.size ?? 1;
  }
  /** Read on demand: callers may supply `content` as a lazy getter. */
  get content(): Uint8Array | undefined {
    return this.input.content;
  }
  get error(): string | null {
    return this.input.error ?? null;
  }
  valueFn(): Value | typeof NONE {
    const input = this.input;
    if (input.value !== undefined) return input.value;
    if (this.done) return this.parsed;
    this.done = true;
    if (input.content === undefined) {
      this.parsed = null;
      return null;
    }
    if (input.content.length === 0) {
      this.parseErr = "message is empty";
      return NONE;
    }
    try {
      this.parsed = parseJsonText(fromUtf8(input.content));
    } catch (e) {
      this.parseErr = `parse as json: ${(e as Error).message}`;
      this.parsed = NONE;
    }
    return this.parsed;
  }
  /** A view of the same message at another batch index (for `from`). */
  at(index: number): MessageCtx {
    const m = new MessageState(this.input, this.metadata);
    m.batchIndex = index;
    m.batchSize = this.batchSize;
    return m;
  }
}

export function messageCtx(input: RunInput, meta: ValueObject): MessageState {
  return new MessageState(input, meta);
}

export function run(prog: Program, input: RunInput, mode: "mapping" | "mutation"): RunResult {
  const meta: ValueObject = input.metadata ? { ...input.metadata } : {};
  const msg = messageCtx(input, meta);
  const vars: Record<string, Value> = input.vars ? { ...input.vars } : {};
  let start: Value = NOTHING;
  if (mode === "mutation") {
    const v = msg.valueFn();
    start = v === NONE ? NOTHING : v;
  }
  const root = { v: start };
  const ctx = new Ctx(NONE, NONE, null, vars, prog.maps, root, meta, msg, 0);
  try {
    runStatements(prog.statements, ctx, { vars, meta, root });
  } catch (e) {
    const nc = findNoContext(e);
    if (msg.parseErr && nc !== null && e instanceof FailedAssignment) {
      const what = nc ? `this.${nc}` : "this";
      e.message = `failed assignment (line ${e.line}): unable to reference message as structured (with '${what}'): ${msg.parseErr}`;
    }
    throw e;
  }
  if (root.v === DELETE) return { deleted: true, value: undefined, metadata: meta };
  return { deleted: false, value: root.v === NOTHING ? undefined : root.v, metadata: meta };
}

function findNoContext(e: unknown): string | null {
  if (e instanceof BloblangError && /context was undefined/.test(e.message)) {
    const m = /unable to reference `([^`]*)`/.exec(e.message);
    return m ? m[1] : "";
  }
  return null;
}
