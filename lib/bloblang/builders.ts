// What the parser builds: the executable closures (Fn / Statement) of expressions and statements.
// The parser (parser.ts) only reads syntax and calls these; evaluation semantics live here.
import type { Ctx, Fn, Statement } from "./runtime";
import { NONE } from "./runtime";
import type { Value, ValueObject } from "./value";
import { DELETE, NIL_ARRAY, NOTHING, clone as cloneVal, getKey, goTypeName, isObject, setKey } from "./value";
import { literal } from "./ops";
import type { QueryError } from "./errors";
import { prefixErr, rtErr, typeError } from "./errors";
import { iCompare } from "./coerce";
import { goFmtV } from "./format";
import { assignPath, deletePath, escapeSeg, searchPath } from "./paths";

export function fieldFn(kind: "this" | "root" | "named", name: string, path: string[]): Fn {
  let base = kind === "root" ? "root" : kind === "named" ? name : "this";
  if (path.length) base += "." + path.map(escapeSeg).join(".");
  const ann = "field `" + base + "`";
  const n = path.length;
  const p0 = path[0];
  let exec: (ctx: Ctx) => Value;
  const getTarget = (ctx: Ctx): Value => {
    if (kind === "root") {
      if (!ctx.root) throw rtErr("unable to reference `root` from this context");
      return ctx.root.v;
    }
    if (kind === "named") {
      const v = ctx.namedValue(name);
      if (!v) throw rtErr(`named context ${name} was not found`);
      return v.value;
    }
    const v = ctx.current();
    if (v === NONE) {
      const e = rtErr(
        n > 0 ? `context was undefined, unable to reference \`${path.join(".")}\`` : "context was undefined",
      );
      (e as QueryError & { noContext?: string }).noContext = path.join(".");
      throw e;
    }
    return v;
  };
  const p1 = path[1];
  // One closure per shape (rather than one that branches), so each stays monomorphic for V8.
  if (n === 0) exec = getTarget;
  else if (kind === "this" && n === 1)
    exec = (ctx) => {
      let t = ctx.value;
      if (t === NONE) t = getTarget(ctx);
      if (isObject(t)) {
        const v = getKey(t, p0);
        return v === undefined ? null : v;
      }
      return searchPath(t, path);
    };
  else if (kind === "this" && n === 2)
    exec = (ctx) => {
      let t = ctx.value;
      if (t === NONE) t = getTarget(ctx);
      if (isObject(t)) {
        const m = getKey(t, p0);
        if (isObject(m)) {
          const v = getKey(m, p1);
          return v === undefined ? null : v;
        }
      }
      return searchPath(t, path);
    };
  else if (kind === "named" && n === 1)
    exec = (ctx) => {
      const t = getTarget(ctx);
      if (isObject(t)) {
        const v = getKey(t, p0);
        return v === undefined ? null : v;
      }
      return searchPath(t, path);
    };
  else exec = (ctx) => searchPath(getTarget(ctx), path);
  return { ann, exec, field: { kind, name, path } };
}

export function getPath(target: Fn, path: string[]): Fn {
  if (target.field) {
    const f = target.field;
    return fieldFn(f.kind, f.name, [...f.path, ...path]);
  }
  let t = target;
  let full = path;
  if (target.getPath) {
    t = target.getPath.target;
    full = [...target.getPath.path, ...path];
  }
  const tt = t;
  const p = full;
  return {
    ann: "path `" + p.map(escapeSeg).join(".") + "`",
    exec: (ctx) => searchPath(tt.exec(ctx), p),
    getPath: { target: tt, path: p },
  };
}

export function notFn(fn: Fn): Fn {
  return {
    ann: "not " + fn.ann,
    exec(ctx) {
      const v = fn.exec(ctx);
      if (typeof v !== "boolean") {
        const e = typeError(v, "bool");
        e.setFrom(fn.ann);
        throw e;
      }
      return !v;
    },
  };
}

export function mapExpression(target: Fn, q: Fn): Fn {
  return {
    ann: q.ann,
    exec: (ctx) => q.exec(ctx.withValue(target.exec(ctx))),
  };
}

export function matchFn(subject: Fn | null, cases: { pat: Fn | null; res: Fn }[]): Fn {
  const compiled = cases.map(({ pat, res }) => {
    let test: (ctx: Ctx) => Value;
    if (!pat) test = () => true;
    else if (pat.lit) {
      const lv = pat.lit.value;
      test = (ctx) => {
        const v = ctx.current();
        if (v === NONE) return false;
        return iCompare(v, lv);
      };
    } else test = (ctx) => pat.exec(ctx);
    return { test, res };
  });
  return {
    ann: "match expression",
    exec(ctx) {
      let sv: Value;
      if (subject) sv = subject.exec(ctx);
      else {
        const c = ctx.current();
        sv = c === NONE ? null : c;
      }
      const cctx = ctx.withValue(sv);
      for (let i = 0; i < compiled.length; i++) {
        let r: Value;
        try {
          r = compiled[i].test(cctx);
        } catch (e) {
          throw prefixErr(e, `failed to check match case ${i}: `);
        }
        if (r === true) return compiled[i].res.exec(cctx);
      }
      return NOTHING;
    },
  };
}

export function ifFn(branches: { cond: Fn | null; body: Fn }[]): Fn {
  return {
    ann: "if expression",
    exec(ctx) {
      for (let i = 0; i < branches.length; i++) {
        const b = branches[i];
        if (!b.cond) return b.body.exec(ctx);
        let v: Value;
        try {
          v = b.cond.exec(ctx);
        } catch (e) {
          throw prefixErr(
            e,
            i === 0 ? "failed to check if condition: " : `failed to check if condition ${i}: `,
          );
        }
        if (typeof v !== "boolean") {
          if (v === null) continue;
          throw rtErr(`${b.cond.ann} resolved to a non-boolean value ${goFmtV(v)} (${goTypeName(v)})`);
        }
        if (v) return b.body.exec(ctx);
      }
      return NOTHING;
    },
  };
}

export function namedContextFn(name: string, body: Fn): Fn {
  return {
    ann: body.ann,
    named: name,
    lambdaBody: body,
    exec(ctx) {
      const v = ctx.current();
      if (v === NONE) throw rtErr(`failed to capture context ${name}: context was undefined`);
      return body.exec(ctx.popped(name === "_" ? ctx.named : { name, value: v, next: ctx.named }));
    },
  };
}

export function arrayLiteral(items: Fn[]): Fn {
  if (items.every((i) => i.lit)) {
    // constant arrays fold into literals (as Go's NewArrayLiteral does); values are never mutated in place
    const vals = items.map((i) => i.lit!.value).filter((v) => v !== DELETE && v !== NOTHING);
    // Go folds an empty static array into a nil slice, which JSON-encodes as null until cloned
    return literal(vals.length === 0 ? NIL_ARRAY : vals, "array literal");
  }
  return {
    ann: "array literal",
    exec(ctx) {
      const out: Value[] = [];
      for (const it of items) {
        const v = it.exec(ctx);
        if (v === DELETE || v === NOTHING) continue;
        out.push(v);
      }
      return out;
    },
  };
}

export function objectLiteral(entries: [string | Fn, Fn][]): Fn {
  if (
    entries.every(([k, v]) => (typeof k === "string" || (k.lit && typeof k.lit.value === "string")) && v.lit)
  ) {
    const out: ValueObject = {};
    for (const [k, v] of entries) {
      const val = v.lit!.value;
      if (val === DELETE || val === NOTHING) continue;
      setKey(out, typeof k === "string" ? k : (k.lit!.value as string), val);
    }
    return literal(out, "object literal");
  }
  return {
    ann: "object literal",
    exec(ctx) {
      const out: ValueObject = {};
      for (const [k, vf] of entries) {
        let key: string;
        if (typeof k === "string") key = k;
        else {
          let kv: Value;
          try {
            kv = k.exec(ctx);
          } catch (e) {
            throw prefixErr(e, "failed to resolve key: ");
          }
          if (typeof kv === "string") key = kv;
          else if (kv instanceof Uint8Array) key = new TextDecoder().decode(kv);
          else throw rtErr(`mapping returned invalid key type: ${goTypeName(kv)}`);
        }
        let v: Value;
        try {
          v = vf.exec(ctx);
        } catch (e) {
          throw prefixErr(e, `failed to resolve '${key}' value: `);
        }
        if (v === DELETE || v === NOTHING) continue;
        setKey(out, key, v);
      }
      return out;
    },
  };
}

export function metaFn(key: string): Fn {
  if (key) {
    return {
      ann: "meta field " + key,
      exec(ctx) {
        if (!ctx.meta) throw rtErr("metadata cannot be queried in this context");
        const v = getKey(ctx.meta, key);
        return v === undefined ? null : v;
      },
    };
  }
  return {
    ann: "meta object",
    exec(ctx) {
      if (!ctx.meta) throw rtErr("metadata cannot be queried in this context");
      return { ...ctx.meta };
    },
  };
}

export function varFn(name: string): Fn {
  return {
    ann: "variable " + name,
    exec(ctx) {
      const v = ctx.vars[name];
      if (v === undefined && !Object.hasOwn(ctx.vars, name)) throw rtErr(`variable '${name}' undefined`);
      return v;
    },
  };
}

export function assignment(path: string[], q: Fn, line: number): Statement {
  return {
    line,
    exec(ctx, as) {
      const v = q.exec(ctx);
      if (v === NOTHING) return;
      if (path.length === 0) {
        as.root.v = v === DELETE ? v : cloneVal(v);
        return;
      }
      if (v === DELETE) {
        if (as.root.v === NOTHING || as.root.v === null || as.root.v === undefined) as.root.v = {};
        deletePath(as.root, path);
        return;
      }
      assignPath(as.root, path, cloneVal(v));
    },
  };
}

/** `let name = q` */
export function letStatement(name: string, q: Fn, line: number): Statement {
  return {
    line,
    exec(ctx, as) {
      const v = q.exec(ctx);
      if (v === NOTHING) return;
      if (v === DELETE) delete as.vars[name];
      else as.vars[name] = v;
    },
  };
}

/** `meta key = q`, or `meta = q` (the whole metadata object) when `key` is null. */
export function metaStatement(key: string | null, q: Fn, line: number): Statement {
  return {
    line,
    exec(ctx, as) {
      let v = q.exec(ctx);
      if (v === NOTHING) return;
      if (!as.meta) throw rtErr("unable to assign metadata in the current context");
      const meta = as.meta;
      const deleted = v === DELETE;
      if (!deleted) v = cloneVal(v);
      if (key === null) {
        if (deleted) {
          for (const k of Object.keys(meta)) delete meta[k];
        } else if (isObject(v)) {
          for (const k of Object.keys(meta)) delete meta[k];
          for (const k of Object.keys(v)) setKey(meta, k, v[k]);
        } else {
          throw rtErr(`setting root meta object requires object value, received: ${goTypeName(v)}`);
        }
        return;
      }
      if (deleted) delete meta[key];
      else setKey(meta, key, v);
    },
  };
}

/** A root-level `if cond { … } else if … else { … }` statement. */
export function ifStatement(pairs: { cond: Fn | null; stmts: Statement[] }[], line: number): Statement {
  return {
    line,
    exec(ctx, as) {
      for (let i = 0; i < pairs.length; i++) {
        const p = pairs[i];
        if (p.cond) {
          let v: Value;
          try {
            v = p.cond.exec(ctx);
          } catch (e) {
            throw prefixErr(e, `failed to check if condition ${i + 1}: `);
          }
          if (typeof v !== "boolean")
            throw rtErr(`${p.cond.ann} resolved to a non-boolean value ${goFmtV(v)} (${goTypeName(v)})`);
          if (!v) continue;
        }
        for (const s of p.stmts) s.exec(ctx, as);
        return;
      }
    },
  };
}
