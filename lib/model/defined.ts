// Dropping a record's undefined fields (stored JSON and partial edits carry only what is set).

/** A copy of `obj` without its undefined fields. */
export function definedOnly<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
