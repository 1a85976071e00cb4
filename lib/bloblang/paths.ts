// Assignment into the output document with the semantics of gabs.Set / gabs.Delete as used by
// Bloblang's JSONAssignment (intermediate objects are created, arrays are indexed but never grown).
import type { Value, ValueObject } from "./value";
import { NOTHING, getKey, isObject, setKey, typeOf } from "./value";
import { rtErr } from "./errors";
import { searchPath } from "./parser";

const dotPath = (p: string[]) => p.map((s) => s.replace(/~/g, "~0").replace(/\./g, "~1")).join(".");

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
