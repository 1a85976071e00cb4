// Control-flow processors: switch, catch, try, branch (also the unit of `workflow`).
import { compile, execInput, type Mapping } from "../../blobl";
import type { ComponentConfig } from "../../config/types";
import { cloneValue, Message, type Batch } from "../../message";
import type { Processor } from "../../runtime/types";
import { flagError, runProcessors } from "./run";

export type BuildProcessors = (confs: ComponentConfig[]) => Processor[];

/** A Bloblang query used as a boolean check; an empty check always passes. */
export function checker(source: string): (batch: Batch, i: number) => boolean {
  if (!source.trim()) return () => true;
  const m = compile(source);
  return (batch, i) => {
    const v = m.query(execInput(batch, i));
    if (typeof v !== "boolean") throw new Error(`check did not return a boolean, got ${typeof v}`);
    return v;
  };
}

export function switchProcessor(
  cases: { check: string; processors: ComponentConfig[]; fallthrough: boolean }[],
  build: BuildProcessors,
): Processor {
  const compiled = cases.map((c) => ({
    check: checker(c.check),
    procs: build(c.processors),
    fallthrough: c.fallthrough,
  }));
  return {
    async process(batch) {
      // Messages enter at the first case whose check passes; with fallthrough they continue to the next case.
      const entering: Message[][] = compiled.map(() => []);
      const passThrough: Message[] = [];
      for (let i = 0; i < batch.length; i++) {
        let matched = false;
        for (let c = 0; c < compiled.length; c++) {
          let ok = false;
          try {
            ok = compiled[c].check(batch, i);
          } catch (err) {
            flagError(batch[i], err);
          }
          if (ok) {
            entering[c].push(batch[i]);
            matched = true;
            break;
          }
        }
        if (!matched) passThrough.push(batch[i]);
      }
      const out: Message[] = [...passThrough];
      let carry: Message[] = [];
      for (let c = 0; c < compiled.length; c++) {
        const group = [...carry, ...entering[c]];
        carry = [];
        if (!group.length) continue;
        const res = (await runProcessors(compiled[c].procs, [group])).flat();
        if (compiled[c].fallthrough) carry = res;
        else out.push(...res);
      }
      out.push(...carry);
      // Keep the batch's original order where messages survived unchanged in identity.
      const order = new Map(batch.map((m, i) => [m, i]));
      out.sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity));
      return [out];
    },
    async close() {
      await Promise.all(compiled.flatMap((c) => c.procs.map((p) => p.close?.())));
    },
  };
}

export function catchProcessor(confs: ComponentConfig[], build: BuildProcessors): Processor {
  const procs = build(confs);
  return {
    async process(batch) {
      const out: Message[] = [];
      for (const msg of batch) {
        if (!msg.error) {
          out.push(msg);
          continue;
        }
        // Each failed message is handled alone, with its error still readable by the child processors.
        const res = (await runProcessors(procs, [[msg]])).flat();
        for (const r of res) r.error = null;
        out.push(...res);
      }
      return [out];
    },
    async close() {
      await Promise.all(procs.map((p) => p.close?.()));
    },
  };
}

export function tryProcessor(confs: ComponentConfig[], build: BuildProcessors): Processor {
  const procs = build(confs);
  return {
    async process(batch) {
      let current: Message[] = batch;
      for (const p of procs) {
        const failed = current.filter((m) => m.error);
        const ok = current.filter((m) => !m.error);
        const res = ok.length ? (await p.process(ok)).flat() : [];
        current = [...res, ...failed];
      }
      const order = new Map(batch.map((m, i) => [m, i]));
      current.sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity));
      return [current];
    },
    async close() {
      await Promise.all(procs.map((p) => p.close?.()));
    },
  };
}

export interface BranchConf {
  request_map: string;
  processors: ComponentConfig[];
  result_map: string;
}

/** One `branch`: map a request out of each message, process it, map the result back in. */
export class Branch {
  private readonly request?: Mapping;
  private readonly result?: Mapping;
  private readonly procs: Processor[];

  constructor(
    conf: BranchConf,
    build: BuildProcessors,
    readonly resultSource = conf.result_map,
    readonly requestSource = conf.request_map,
  ) {
    this.request = conf.request_map.trim() ? compile(conf.request_map) : undefined;
    this.result = conf.result_map.trim() ? compile(conf.result_map) : undefined;
    this.procs = build(conf.processors);
  }

  /** Returns per message: undefined when skipped (request deleted), else an error or null on success. */
  async run(batch: Batch): Promise<(Error | null | undefined)[]> {
    const outcome: (Error | null | undefined)[] = batch.map(() => undefined);
    const requests: Message[] = [];
    const origin: number[] = [];
    for (let i = 0; i < batch.length; i++) {
      const src = batch[i];
      try {
        let req: Message;
        if (this.request) {
          const res = this.request.exec(execInput(batch, i), { mode: "mapping" });
          if (res.deleted) continue;
          req = new Message(undefined, res.metadata);
          if (res.value === undefined) req.setContent(new Uint8Array());
          else if (res.value instanceof Uint8Array) req.setContent(res.value);
          else req.setValue(res.value);
        } else req = src.copy();
        req.error = null;
        requests.push(req);
        origin.push(i);
      } catch (err) {
        outcome[i] = err instanceof Error ? err : new Error(String(err));
      }
    }
    if (!requests.length) return outcome;
    const results = (await runProcessors(this.procs, [requests])).flat();
    // Results line up with requests when the child processors keep one message per request.
    if (results.length !== requests.length) {
      const err = new Error(
        `branch processors returned ${results.length} messages for ${requests.length} requests; results cannot be mapped back`,
      );
      for (const i of origin) outcome[i] = err;
      return outcome;
    }
    for (let k = 0; k < results.length; k++) {
      const i = origin[k];
      const r = results[k];
      if (r.error) {
        outcome[i] = r.error;
        continue;
      }
      try {
        if (this.result) mergeResult(batch[i], this.result, results, k);
        outcome[i] = null;
      } catch (err) {
        outcome[i] = err instanceof Error ? err : new Error(String(err));
      }
    }
    return outcome;
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.close?.()));
  }
}

/**
 * result_map: `this` is the branch result and `root` starts as the original message. The Bloblang
 * API runs a mapping against one document, so the assignments it produces are deep-merged into the
 * original document and metadata (assignments that delete fields are not reflected).
 */
function mergeResult(orig: Message, mapping: Mapping, results: Batch, k: number): void {
  const res = mapping.exec(execInput(results, k), { mode: "mapping" });
  if (res.deleted) return;
  const resultMeta = results[k].metadata;
  for (const [key, v] of Object.entries(res.metadata))
    if (resultMeta[key] !== v || !(key in orig.metadata)) orig.metadata[key] = v;
  for (const key of Object.keys(resultMeta)) if (!(key in res.metadata)) delete orig.metadata[key];
  if (res.value === undefined) return;
  let base: unknown;
  try {
    base = orig.json;
  } catch {
    base = undefined;
  }
  if (isPlainObject(base) && isPlainObject(res.value))
    orig.setValue(deepMerge(cloneValue(base) as Record<string, unknown>, res.value));
  else if (res.value instanceof Uint8Array) orig.setContent(res.value);
  else orig.setValue(res.value);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(from)) {
    if (isPlainObject(v) && isPlainObject(into[k])) deepMerge(into[k] as Record<string, unknown>, v);
    else into[k] = v;
  }
  return into;
}

export function branchProcessor(branch: Branch): Processor & { branch: Branch } {
  return {
    branch,
    async process(batch) {
      const outcome = await branch.run(batch);
      outcome.forEach((e, i) => {
        if (e) flagError(batch[i], e);
      });
      return [batch];
    },
    close: () => branch.close(),
  };
}
