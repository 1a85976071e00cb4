// Object and array methods.
import { registerMethod, simpleMethod } from "../registry";
import type { Ctx, Fn } from "../runtime";
import type { Value, ValueObject } from "../value";
import {
  DELETE,
  NOTHING,
  clone,
  compareStrings,
  getKey,
  isObject,
  setKey,
  sortedKeys,
  fromUtf8,
} from "../value";
import { errFrom, prefixErr, rtErr, typeError, BloblangError } from "../errors";
import { getInt, getNumber, getString, iCompare, restrict } from "../coerce";
import { toGoString } from "../format";
import { dotPath } from "./general";

function wrap(prefix: string, e: unknown): unknown {
  return prefixErr(e, prefix);
}

function needArray(v: Value): Value[] {
  if (!Array.isArray(v)) throw typeError(v, "array");
  return v;
}

simpleMethod("all", [{ name: "test", type: "query" }], ([q]) => {
  const f = q as Fn;
  return (v, ctx) => {
    const arr = needArray(v);
    if (arr.length === 0) return false;
    for (let i = 0; i < arr.length; i++) {
      let r: Value;
      try {
        r = f.exec(ctx.withValue(arr[i]));
      } catch (e) {
        throw wrap(`element ${i}: `, e);
      }
      if (typeof r !== "boolean") throw wrap(`element ${i}: `, typeError(r, "bool"));
      if (!r) return false;
    }
    return true;
  };
});
simpleMethod("any", [{ name: "test", type: "query" }], ([q]) => {
  const f = q as Fn;
  return (v, ctx) => {
    const arr = needArray(v);
    for (let i = 0; i < arr.length; i++) {
      let r: Value;
      try {
        r = f.exec(ctx.withValue(arr[i]));
      } catch (e) {
        throw wrap(`element ${i}: `, e);
      }
      if (typeof r !== "boolean") throw wrap(`element ${i}: `, typeError(r, "bool"));
      if (r) return true;
    }
    return false;
  };
});

simpleMethod("append", "variadic", (args) => (v) => {
  const arr = needArray(v);
  return [...arr, ...args];
});

function flattenObj(v: Value, includeEmpty: boolean): ValueObject {
  const out: ValueObject = {};
  const walk = (x: Value, prefix: string) => {
    if (isObject(x)) {
      const keys = Object.keys(x);
      if (keys.length === 0 && includeEmpty && prefix) setKey(out, prefix, {});
      for (const k of keys) walk(x[k], prefix ? `${prefix}.${k}` : k);
    } else if (Array.isArray(x)) {
      if (x.length === 0 && includeEmpty && prefix) setKey(out, prefix, []);
      x.forEach((e, i) => walk(e, prefix ? `${prefix}.${i}` : String(i)));
    } else setKey(out, prefix, x);
  };
  if (!isObject(v) && !Array.isArray(v)) throw rtErr("not an object or array");
  walk(v, "");
  return out;
}
simpleMethod(
  "collapse",
  [{ name: "include_empty", type: "bool", default: false }],
  ([ie]) =>
    (v) =>
      flattenObj(v, ie as boolean),
);

simpleMethod("contains", [{ name: "value", type: "unknown" }], ([needle]) => {
  const sub = toGoString(needle);
  return (v) => {
    if (typeof v === "string") return v.includes(sub);
    if (v instanceof Uint8Array) return fromUtf8(v).includes(sub);
    if (Array.isArray(v)) return v.some((e) => iCompare(needle, e));
    if (isObject(v)) return Object.keys(v).some((k) => iCompare(needle, v[k]));
    throw typeError(v, "string", "array", "object");
  };
});

simpleMethod("enumerated", [], () => (v) => needArray(v).map((e, i) => ({ index: BigInt(i), value: e })));

simpleMethod("explode", [{ name: "path", type: "string" }], ([p]) => {
  const path = dotPath(p as string);
  return (v) => {
    if (!isObject(v)) throw typeError(v, "object");
    const target = searchArr(v, path);
    const base = without(v, [path]);
    const build = (e: Value) => {
      const c = clone(base) as ValueObject;
      setDeep(c, path, e);
      return c;
    };
    if (Array.isArray(target)) return target.map(build);
    if (isObject(target)) {
      const out: ValueObject = {};
      for (const k of Object.keys(target)) setKey(out, k, build(target[k]));
      return out;
    }
    throw rtErr(
      `expected array or object value at path '${p}', found: ${typeof target === "object" && target === null ? "null" : typeof target}`,
    );
  };
});
function searchArr(v: Value, path: string[]): Value {
  let cur = v;
  for (const s of path) {
    if (isObject(cur)) cur = getKey(cur, s) ?? null;
    else if (Array.isArray(cur) && /^[0-9]+$/.test(s)) cur = cur[Number(s)] ?? null;
    else return null;
  }
  return cur;
}
function setDeep(o: ValueObject, path: string[], val: Value) {
  let cur: ValueObject = o;
  for (let i = 0; i < path.length - 1; i++) {
    let n = getKey(cur, path[i]);
    if (!isObject(n)) {
      n = {};
      setKey(cur, path[i], n);
    }
    cur = n as ValueObject;
  }
  setKey(cur, path[path.length - 1], val);
}

simpleMethod("filter", [{ name: "test", type: "query" }], ([q]) => {
  const f = q as Fn;
  return (v, ctx) => {
    if (Array.isArray(v)) {
      const out: Value[] = [];
      for (const e of v) if (ctx.callWith(f, e) === true) out.push(e);
      return out;
    }
    if (isObject(v)) {
      const out: ValueObject = {};
      for (const k of Object.keys(v))
        if (f.exec(ctx.withValue({ key: k, value: v[k] })) === true) setKey(out, k, v[k]);
      return out;
    }
    throw typeError(v, "array", "object");
  };
});

simpleMethod("find", [{ name: "value", type: "unknown" }], ([needle]) => (v) => {
  const arr = needArray(v);
  for (let i = 0; i < arr.length; i++) if (iCompare(needle, arr[i])) return BigInt(i);
  return -1n;
});
simpleMethod("find_all", [{ name: "value", type: "unknown" }], ([needle]) => (v) => {
  const arr = needArray(v);
  const out: Value[] = [];
  for (let i = 0; i < arr.length; i++) if (iCompare(needle, arr[i])) out.push(BigInt(i));
  return out;
});
function findBy(all: boolean) {
  return ([q]: Value[]) => {
    const f = q as Fn;
    return (v: Value, ctx: Ctx) => {
      const arr = needArray(v);
      const out: Value[] = [];
      for (let i = 0; i < arr.length; i++) {
        let r: Value;
        try {
          r = f.exec(ctx.withValue(arr[i]));
        } catch (e) {
          throw wrap(`query returned an error for index ${i}: `, e);
        }
        if (typeof r !== "boolean")
          throw wrap(`query returned a non-boolean value for index ${i}: `, typeError(r, "bool"));
        if (r) {
          if (!all) return BigInt(i);
          out.push(BigInt(i));
        }
      }
      return all ? out : -1n;
    };
  };
}
simpleMethod("find_by", [{ name: "query", type: "query" }], findBy(false));
simpleMethod("find_all_by", [{ name: "query", type: "query" }], findBy(true));

simpleMethod("flatten", [], () => (v) => {
  const arr = needArray(v);
  const out: Value[] = [];
  for (const e of arr) {
    if (Array.isArray(e)) out.push(...e);
    else out.push(e);
  }
  return out;
});

simpleMethod(
  "fold",
  [
    { name: "initial", type: "unknown" },
    { name: "query", type: "query" },
  ],
  ([init, q]) => {
    const f = q as Fn;
    return (v, ctx) => {
      const arr = needArray(v);
      let tally = clone(init);
      for (const e of arr) tally = f.exec(ctx.withValue({ tally, value: e }));
      return tally;
    };
  },
);

simpleMethod("index", [{ name: "index", type: "integer" }], ([idx]) => {
  const index = Number(idx as bigint);
  return (v) => {
    if (Array.isArray(v) || v instanceof Uint8Array) {
      let i = index;
      if (i < 0) i = v.length + i;
      if (i < 0 || i >= v.length) throw rtErr(`index '${i}' was out of bounds for array size: ${v.length}`);
      return Array.isArray(v) ? v[i] : BigInt(v[i]);
    }
    throw typeError(v, "array");
  };
});

simpleMethod("keys", [], () => (v) => {
  if (!isObject(v)) throw typeError(v, "object");
  return sortedKeys(v);
});
simpleMethod("values", [], () => (v) => {
  if (!isObject(v)) throw typeError(v, "object");
  return sortedKeys(v).map((k) => v[k]);
});
simpleMethod("key_values", [], () => (v) => {
  if (!isObject(v)) throw typeError(v, "object");
  return sortedKeys(v).map((k) => ({ key: k, value: v[k] }));
});

simpleMethod("length", [], () => (v) => {
  if (typeof v === "string") return BigInt(Buffer.byteLength(v, "utf8"));
  if (v instanceof Uint8Array || Array.isArray(v)) return BigInt(v.length);
  if (isObject(v)) return BigInt(Object.keys(v).length);
  throw typeError(v, "string", "array", "object");
});

simpleMethod("map_each", [{ name: "query", type: "query" }], ([q]) => {
  const f = q as Fn;
  return (v, ctx) => {
    if (Array.isArray(v)) {
      const out: Value[] = [];
      for (let i = 0; i < v.length; i++) {
        let nv: Value;
        try {
          nv = ctx.callWith(f, v[i]);
        } catch (e) {
          throw wrap(`failed to process element ${i}: `, errFrom(e, f.ann));
        }
        if (nv === DELETE) continue;
        out.push(nv === NOTHING ? v[i] : nv);
      }
      return out;
    }
    if (isObject(v)) {
      const out: ValueObject = {};
      for (const k of Object.keys(v)) {
        let nv: Value;
        try {
          nv = f.exec(ctx.withValue({ key: k, value: v[k] }));
        } catch (e) {
          throw wrap(`failed to process element ${k}: `, errFrom(e, f.ann));
        }
        if (nv === DELETE) continue;
        setKey(out, k, nv === NOTHING ? v[k] : nv);
      }
      return out;
    }
    throw typeError(v, "array");
  };
});

simpleMethod("map_each_key", [{ name: "query", type: "query" }], ([q]) => {
  const f = q as Fn;
  return (v, ctx) => {
    if (!isObject(v)) throw typeError(v, "object");
    const out: ValueObject = {};
    for (const k of Object.keys(v)) {
      const nk = f.exec(ctx.withValue(k));
      if (nk === NOTHING) setKey(out, k, v[k]);
      else if (typeof nk === "string") setKey(out, nk, v[k]);
      else throw wrap("unexpected result from key mapping: ", typeError(nk, "string"));
    }
    return out;
  };
});

/** gabs Merge: objects merge recursively; colliding non-objects combine into arrays. */
function gabsMerge(dst: ValueObject, src: ValueObject, assign: boolean): void {
  for (const k of Object.keys(src)) {
    const sv = src[k];
    if (!Object.hasOwn(dst, k)) {
      setKey(dst, k, sv);
      continue;
    }
    const dv = dst[k];
    if (isObject(dv) && isObject(sv)) {
      gabsMerge(dv, sv, assign);
      continue;
    }
    if (assign) {
      setKey(dst, k, sv);
      continue;
    }
    if (Array.isArray(dv)) {
      if (Array.isArray(sv)) dv.push(...sv);
      else dv.push(sv);
    } else if (Array.isArray(sv)) setKey(dst, k, [dv, ...sv]);
    else setKey(dst, k, [dv, sv]);
  }
}

function mergeLike(name: string, assign: boolean) {
  registerMethod({
    name,
    params: [{ name: "with", type: "unknown" }],
    ctor(target, [withV]) {
      return {
        ann: "method " + name,
        exec(ctx) {
          const into = target.exec(ctx);
          const from = clone(withV);
          if (Array.isArray(into)) {
            if (Array.isArray(from)) return [...into, ...from];
            return [...into, from];
          }
          if (!isObject(into)) {
            const e = typeError(into, "object", "array");
            e.setFrom(target.ann);
            throw e;
          }
          const root: ValueObject = clone(into) as ValueObject;
          if (isObject(from)) gabsMerge(root, from, assign);
          else throw rtErr(`cannot merge non-object value`);
          return root;
        },
      };
    },
  });
}
mergeLike("merge", false);
mergeLike("assign", true);

function sortCompare(a: Value, b: Value, i: number, j: number, prefix: string, fn?: Fn): boolean {
  const num = typeof a === "bigint" || typeof a === "number";
  if (num) {
    let l: number, r: number;
    try {
      l = getNumber(a);
    } catch (e) {
      throw wrap(`${prefix} element ${i}: `, fn ? errFrom(e, fn.ann) : e);
    }
    try {
      r = getNumber(b);
    } catch (e) {
      throw wrap(`${prefix} element ${j}: `, fn ? errFrom(e, fn.ann) : e);
    }
    return l < r;
  }
  if (typeof a === "string" || a instanceof Uint8Array) {
    let r: string;
    try {
      r = getString(b);
    } catch (e) {
      throw wrap(`${prefix} element ${j}: `, fn ? errFrom(e, fn.ann) : e);
    }
    return compareStrings(getString(a), r) < 0;
  }
  const e = typeError(a, "number", "string");
  throw wrap(`${prefix} element ${i}: `, fn ? errFrom(e, fn.ann) : e);
}

/**
 * `sort()` of an array of only strings or only numbers: the order sortValues gives with sortCompare
 * (a stable sort on the same comparison), without its index arrays. Null for anything else.
 */
function sortPlain(values: Value[]): Value[] | null {
  let strings = true;
  let numbers = true;
  for (let i = 0; i < values.length; i++) {
    const t = typeof values[i];
    if (t !== "string") strings = false;
    if (t !== "number" && t !== "bigint") numbers = false;
    if (!strings && !numbers) return null;
  }
  if (strings) return [...(values as string[])].sort(compareStrings);
  return [...values].sort((a, b) => {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : y < x ? 1 : 0;
  });
}

function sortValues(values: Value[], less: (a: Value, b: Value, i: number, j: number) => boolean): Value[] {
  const idx = values.map((_, i) => i);
  idx.sort((x, y) => {
    if (less(values[x], values[y], x, y)) return -1;
    if (less(values[y], values[x], y, x)) return 1;
    return 0;
  });
  return idx.map((i) => values[i]);
}

registerMethod({
  name: "sort",
  params: [{ name: "compare", type: "query", optional: true }],
  ctor(target, [cmp]) {
    const f = cmp as Fn | undefined;
    return {
      ann: "method sort",
      exec(ctx) {
        const v = target.exec(ctx);
        if (!Array.isArray(v)) {
          const e = typeError(v, "array");
          e.setFrom(target.ann);
          throw e;
        }
        if (!f) return sortPlain(v) ?? sortValues(v, (a, b, i, j) => sortCompare(a, b, i, j, "sort"));
        return sortValues(v, (a, b) => {
          const r = f.exec(ctx.withValue({ left: a, right: b }));
          if (typeof r !== "boolean") {
            const e = typeError(r, "bool");
            e.setFrom("sort argument");
            throw e;
          }
          return r;
        });
      },
    };
  },
});

registerMethod({
  name: "sort_by",
  params: [{ name: "query", type: "query" }],
  ctor(target, [q]) {
    const f = q as Fn;
    return {
      ann: "method sort_by",
      exec(ctx) {
        const v = target.exec(ctx);
        if (!Array.isArray(v)) {
          const e = typeError(v, "array");
          e.setFrom(target.ann);
          throw e;
        }
        const keys = v.map((e) => f.exec(ctx.withValue(e)));
        const idx = v.map((_, i) => i);
        idx.sort((x, y) => {
          if (sortCompare(keys[x], keys[y], x, y, "sort_by", f)) return -1;
          if (sortCompare(keys[y], keys[x], y, x, "sort_by", f)) return 1;
          return 0;
        });
        return idx.map((i) => v[i]);
      },
    };
  },
});

simpleMethod(
  "slice",
  [
    { name: "low", type: "integer" },
    { name: "high", type: "integer", optional: true },
  ],
  ([lowA, highA]) => {
    const low = Number(lowA as bigint);
    const high = highA === undefined ? undefined : Number(highA as bigint);
    if (high !== undefined && high > 0 && low >= high)
      throw new BloblangError(`lower slice bound ${low} must be lower than upper (${high})`);
    const bounds = (l: number): [number, number] => {
      let hi = l;
      if (high !== undefined) hi = high < 0 ? hi + high : high;
      if (hi > l) hi = l;
      if (hi < 0) hi = 0;
      let lo = low;
      if (lo < 0) lo = Math.max(l + lo, 0);
      if (lo > hi)
        throw rtErr(
          `lower slice bound ${lo} must be lower than or equal to upper bound (${hi}) and target length (${l})`,
        );
      return [lo, hi];
    };
    return (v) => {
      if (typeof v === "string") {
        const b = Buffer.from(v, "utf8");
        const [s, e] = bounds(b.length);
        return b.subarray(s, e).toString("utf8");
      }
      if (v instanceof Uint8Array) {
        const [s, e] = bounds(v.length);
        return v.slice(s, e);
      }
      if (Array.isArray(v)) {
        const [s, e] = bounds(v.length);
        return v.slice(s, e);
      }
      throw typeError(v, "array", "string");
    };
  },
);

registerMethod({
  name: "sum",
  params: [],
  ctor(target) {
    return {
      ann: "method sum",
      exec(ctx) {
        const v = target.exec(ctx);
        if (typeof v === "bigint" || typeof v === "number") return v;
        if (Array.isArray(v)) {
          let total = 0;
          let err: unknown = null;
          for (let i = 0; i < v.length; i++) {
            const e = v[i];
            if (typeof e === "number") total += e;
            else if (typeof e === "bigint") total += Number(e);
            else {
              // the last failing element's error, as Go reports it
              try {
                total += getNumber(e);
              } catch (x) {
                err = wrap(`index ${i}: `, x);
              }
            }
          }
          if (err) throw errFrom(err, target.ann);
          return total;
        }
        const e = typeError(v, "array");
        e.setFrom(target.ann);
        throw e;
      },
    };
  },
});

simpleMethod("unique", [{ name: "emit", type: "query", optional: true }], ([emit]) => {
  const f = emit as Fn | undefined;
  return (v, ctx) => {
    const arr = needArray(v);
    const strs = new Set<string>();
    const nums = new Set<number>();
    const out: Value[] = [];
    arr.forEach((e, i) => {
      let check = e;
      if (f) {
        try {
          check = f.exec(ctx.withValue(e));
        } catch (x) {
          throw wrap(`index ${i}: `, x);
        }
      }
      let unique: boolean;
      if (typeof check === "string" || check instanceof Uint8Array) {
        const s = getString(check);
        unique = !strs.has(s);
        strs.add(s);
      } else if (typeof check === "bigint" || typeof check === "number") {
        const n = Number(check);
        unique = !nums.has(n);
        nums.add(n);
      } else throw wrap(`index ${i}: `, typeError(check, "string", "number"));
      if (unique) out.push(e);
    });
    return out;
  };
});

export function without(m: ValueObject, paths: string[][]): ValueObject {
  const out: ValueObject = {};
  for (const k of Object.keys(m)) {
    let excluded = false;
    const nested: string[][] = [];
    for (const p of paths) {
      if (p[0] === k) {
        if (p.length > 1) nested.push(p.slice(1));
        else excluded = true;
      }
    }
    if (excluded) continue;
    const v = m[k];
    setKey(out, k, nested.length && isObject(v) ? without(v, nested) : v);
  }
  return out;
}

simpleMethod("without", "variadic", (args) => {
  const paths = args.map((a, i) => {
    try {
      return dotPath(getString(a));
    } catch (e) {
      throw new BloblangError(`argument ${i}: ${(e as Error).message}`);
    }
  });
  return (v) => {
    if (!isObject(v)) throw typeError(v, "object");
    return without(v, paths);
  };
});

simpleMethod("index_of", [{ name: "value", type: "string" }], ([s]) => (v) => {
  if (typeof v === "string") {
    const b = Buffer.from(v, "utf8");
    return BigInt(b.indexOf(Buffer.from(s as string, "utf8")));
  }
  if (v instanceof Uint8Array) return BigInt(Buffer.from(v).indexOf(Buffer.from(s as string, "utf8")));
  throw typeError(v, "string");
});

simpleMethod("zip", "variadic", (args) => (v) => {
  const arr = needArray(v);
  const others = args.map((a) => needArray(a));
  for (const o of others) if (o.length !== arr.length) throw rtErr(`can't zip different length array values`);
  return arr.map((e, i) => [e, ...others.map((o) => o[i])]);
});

simpleMethod("squash", [], () => (v) => {
  const arr = needArray(v);
  const out: ValueObject = {};
  for (const e of arr) {
    if (!isObject(e)) throw typeError(e, "object");
    gabsMerge(out, clone(e) as ValueObject, true);
  }
  return out;
});

simpleMethod("concat", "variadic", (args) => (v) => {
  const arr = needArray(v);
  const out = [...arr];
  for (const a of args) out.push(...needArray(a));
  return out;
});

simpleMethod("with", "variadic", (args) => {
  const paths = args.map((a) => dotPath(getString(a)));
  return (v) => {
    if (!isObject(v)) throw typeError(v, "object");
    const out: ValueObject = {};
    for (const p of paths) {
      const val = searchArr(v, p);
      if (val === null && !hasPath(v, p)) continue;
      setDeep(out, p, val);
    }
    return out;
  };
});
function hasPath(v: Value, p: string[]): boolean {
  let cur = v;
  for (const s of p) {
    if (!isObject(cur) || !Object.hasOwn(cur, s)) return false;
    cur = cur[s];
  }
  return true;
}

export { restrict, getInt };
