// `workflow`: branches run as a DAG. With `order` empty, dependencies are inferred from which
// fields a branch's request_map reads (`this.x`) and which another's result_map writes (`root.x`).
import { cloneValue, type Message } from "../../message";
import type { Processor } from "../../runtime/types";
import { fromPlain } from "../../../bloblang";
import type { Branch } from "./flow";
import { flagError } from "./run";

export interface WorkflowConf {
  meta_path: string;
  order: string[][];
  branch_resources: string[];
}

export function inferOrder(branches: Map<string, Branch>): string[][] {
  const writes = new Map<string, string[]>();
  const reads = new Map<string, string[]>();
  for (const [name, b] of branches) {
    writes.set(
      name,
      [...b.resultSource.matchAll(/(?:^|[\s;])root((?:\.[A-Za-z0-9_]+)*)\s*=/g)].map((m) => m[1]),
    );
    reads.set(
      name,
      [...b.requestSource.matchAll(/this((?:\.[A-Za-z0-9_]+)+)/g)].map((m) => m[1]),
    );
  }
  const overlaps = (a: string, b: string) =>
    a === "" || b === "" || a.startsWith(b + ".") || b.startsWith(a + ".") || a === b;
  const deps = new Map<string, Set<string>>();
  for (const n of branches.keys()) {
    const d = new Set<string>();
    for (const m of branches.keys()) {
      if (m === n) continue;
      if (reads.get(n)!.some((r) => writes.get(m)!.some((w) => w !== "" && overlaps(r, w)))) d.add(m);
    }
    deps.set(n, d);
  }
  const order: string[][] = [];
  const done = new Set<string>();
  while (done.size < branches.size) {
    const stage = [...branches.keys()].filter(
      (n) => !done.has(n) && [...deps.get(n)!].every((d) => done.has(d)),
    );
    if (!stage.length)
      throw new Error(
        `workflow branches have a dependency cycle: ${[...branches.keys()].filter((n) => !done.has(n)).join(", ")}`,
      );
    stage.sort();
    order.push(stage);
    for (const n of stage) done.add(n);
  }
  return order;
}

export function workflowProcessor(conf: WorkflowConf, branches: Map<string, Branch>): Processor {
  const order = conf.order.length ? conf.order : inferOrder(branches);
  for (const stage of order)
    for (const n of stage)
      if (!branches.has(n)) throw new Error(`workflow order names branch ${n}, which is not defined`);
  const depsOf = new Map<string, string[]>();
  order.forEach((stage, i) => stage.forEach((n) => depsOf.set(n, order.slice(0, i).flat())));
  const metaPath = conf.meta_path ? conf.meta_path.split(".") : [];

  return {
    async process(batch) {
      const state = batch.map((m) => ({
        succeeded: new Set<string>(previous(m, metaPath)),
        skipped: new Set<string>(),
        failed: {} as Record<string, string>,
      }));
      for (const stage of order) {
        await Promise.all(
          stage.map(async (name) => {
            const idx: number[] = [];
            batch.forEach((_, i) => {
              const s = state[i];
              if (s.succeeded.has(name)) return;
              if ((depsOf.get(name) ?? []).some((d) => d in s.failed)) {
                s.skipped.add(name);
                return;
              }
              idx.push(i);
            });
            if (!idx.length) return;
            const sub = idx.map((i) => batch[i]);
            const outcome = await branches.get(name)!.run(sub);
            outcome.forEach((o, k) => {
              const s = state[idx[k]];
              if (o === undefined) s.skipped.add(name);
              else if (o === null) s.succeeded.add(name);
              else s.failed[name] = o.message;
            });
          }),
        );
      }
      batch.forEach((m, i) => {
        const s = state[i];
        const failed = Object.entries(s.failed);
        if (failed.length) flagError(m, new Error(failed.map(([n, e]) => `branch ${n}: ${e}`).join("; ")));
        if (metaPath.length)
          writeMeta(
            m,
            metaPath,
            fromPlain({ succeeded: [...s.succeeded], skipped: [...s.skipped], failed: s.failed }),
          );
      });
      return [batch];
    },
    async close() {
      await Promise.all([...branches.values()].map((b) => b.close()));
    },
  };
}

function previous(m: Message, path: string[]): string[] {
  if (!path.length) return [];
  try {
    let v: unknown = m.json;
    for (const p of path) v = (v as Record<string, unknown>)?.[p];
    const s = (v as { succeeded?: unknown })?.succeeded;
    return Array.isArray(s) ? s.map(String) : [];
  } catch {
    return [];
  }
}

function writeMeta(m: Message, path: string[], value: unknown): void {
  let doc: unknown;
  try {
    doc = m.json;
  } catch {
    return;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return;
  const root = cloneValue(doc) as Record<string, unknown>;
  let cur = root;
  for (const p of path.slice(0, -1)) {
    if (typeof cur[p] !== "object" || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
  m.setValue(root);
}
