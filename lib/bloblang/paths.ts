// Paths into documents with the semantics of gabs (Search / Set / Delete) as Bloblang uses them:
// reads through objects and arrays, assignment creates intermediate objects, arrays are indexed but never grown.
import type { Value, ValueObject } from "./value";
import { NOTHING, getKey, isObject, setKey, typeOf } from "./value";
import { rtErr } from "./errors";

/** A path segment in gabs' dotted form (`~` → `~0`, `.` → `~1`). */
export function escapeSeg(s: string): string {
  return s.replace(/~/g, "~0").replace(/\./g, "~1");
}
const dotPath = (p: string[]) => p.map(escapeSeg).join(".");

/** gabs Search semantics: objects by key, arrays by numeric index, anything else → null. */
export function searchPath(v: Value, path: string[]): Value {
  let cur = v;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isObject(cur)) {
      const nv = getKey(cur, seg);
      if (nv === undefined) return null;
      cur = nv;
    } else if (Array.isArray(cur)) {
      if (seg === "*") {
        const rest = path.slice(i + 1);
        const out: Value[] = [];
        for (const el of cur) {
          const r = rest.length ? searchPath(el, rest) : el;
          if (r !== null) out.push(r);
        }
        return out;
      }
      if (!/^[+-]?[0-9]+$/.test(seg)) return null;
      const idx = Number(seg);
      if (idx < 0 || idx >= cur.length) return null;
      cur = cur[idx];
    } else return null;
  }
  return cur === undefined ? null : cur;
}

export function assignPath(root: { v: Value }, path: string[], val: Value): void {
  if (root.v === NOTHING || root.v === null || root.v === undefined) root.v = {};
  let obj: Value = root.v;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isObject(obj)) {
      if (last) {
        setKey(obj, seg, val);
        return;
      }
      let next = getKey(obj, seg);
      if (next === undefined || next === null) {
        next = {};
        setKey(obj, seg, next);
      }
      obj = next;
    } else if (Array.isArray(obj)) {
      if (seg === "-") {
        if (i < 1)
          throw rtErr(
            `unable to set target path ${dotPath(path)}: unable to append new array index at root of path`,
          );
        const nv = last ? val : {};
        obj.push(nv);
        if (last) return;
        obj = nv;
        continue;
      }
      if (!/^[+-]?[0-9]+$/.test(seg))
        throw rtErr(
          `unable to set target path ${dotPath(path)}: failed to resolve path segment '${i}': found array but segment value '${seg}' could not be parsed into array index: strconv.Atoi: parsing "${seg}": invalid syntax`,
        );
      const idx = Number(seg);
      if (idx < 0)
        throw rtErr(
          `unable to set target path ${dotPath(path)}: failed to resolve path segment '${i}': found array but index '${seg}' is invalid`,
        );
      if (obj.length <= idx)
        throw rtErr(
          `unable to set target path ${dotPath(path)}: failed to resolve path segment '${i}': found array but index '${seg}' exceeded target array size of '${obj.length}'`,
        );
      if (last) {
        obj[idx] = val;
        return;
      }
      const next: Value = obj[idx];
      if (next === null || next === undefined)
        throw rtErr(
          `unable to set target path ${dotPath(path)}: failed to resolve path segment '${i}': field '${seg}' was not found`,
        );
      obj = next;
    } else {
      // path collision: find the culprit like findTheNonObject
      if (!isObject(root.v))
        throw rtErr(
          `unable to set target path ${dotPath(path)} as the value of the root was a non-object type (${typeOf(root.v)})`,
        );
      let cur: Value = root.v;
      const culprit: string[] = [];
      for (const p of path) {
        culprit.push(dotPath([p]));
        cur = searchPath(cur, [p]);
        if (!isObject(cur)) break;
      }
      throw rtErr(
        `unable to set target path ${dotPath(path)} as the value of ${culprit.join(".")} was a non-object type (${typeOf(cur)})`,
      );
    }
  }
}

export function deletePath(root: { v: Value }, path: string[]): void {
  const parentPath = path.slice(0, -1);
  const target = path[path.length - 1];
  const parent = parentPath.length ? searchPath(root.v, parentPath) : root.v;
  if (isObject(parent)) {
    delete (parent as ValueObject)[target];
    return;
  }
  if (Array.isArray(parent)) {
    if (path.length < 2) return;
    if (!/^[+-]?[0-9]+$/.test(target)) return;
    const idx = Number(target);
    if (idx < 0 || idx >= parent.length) return;
    parent.splice(idx, 1);
  }
}
