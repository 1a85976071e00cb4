// Running a list of processors over batches, and the per-message helper most processors use.
import { errorMessage } from "../../errors";
import type { Batch, Message } from "../../message";
import type { Processor } from "../../runtime/types";

/** True when every processor has a synchronous path (runProcessorsSync may be used). */
export function allSync(procs: Processor[]): boolean {
  return procs.every((p) => p.processSync !== undefined);
}

/** runProcessors for processors that all have `processSync` (see allSync). */
export function runProcessorsSync(procs: Processor[], batches: Batch[]): Batch[] {
  let current = batches;
  for (const p of procs) {
    const next: Batch[] = [];
    for (const b of current) {
      const out = p.processSync!(b);
      for (const o of out) if (o.length) next.push(o);
    }
    current = next;
    if (!current.length) break;
  }
  return current;
}

/** Runs processors in order; each may split, filter or rebatch. Empty batches are dropped. */
export async function runProcessors(procs: Processor[], batches: Batch[]): Promise<Batch[]> {
  let current = batches;
  for (const p of procs) {
    const next: Batch[] = [];
    for (const b of current) {
      const out = await p.process(b);
      for (const o of out) if (o.length) next.push(o);
    }
    current = next;
    if (!current.length) break;
  }
  return current;
}

export function flagError(msg: Message, err: unknown): void {
  msg.error = err instanceof Error ? err : new Error(errorMessage(err));
}

/**
 * A processor that handles messages one at a time: return the message (changed or not), an array
 * (split), or null (drop). A throw flags the error on the original message, which continues.
 */
export function perMessage(
  fn: (
    msg: Message,
    batch: Batch,
    index: number,
  ) => Message | Message[] | null | Promise<Message | Message[] | null>,
  close?: () => Promise<void>,
): Processor {
  return {
    async process(batch: Batch): Promise<Batch[]> {
      const out: Message[] = [];
      for (let i = 0; i < batch.length; i++) {
        const msg = batch[i];
        try {
          let r = fn(msg, batch, i);
          if (r instanceof Promise) r = await r;
          if (r === null) continue;
          if (Array.isArray(r)) out.push(...r);
          else out.push(r);
        } catch (err) {
          flagError(msg, err);
          out.push(msg);
        }
      }
      return [out];
    },
    close,
  };
}

/** perMessage for a function that never waits: the processor also runs synchronously (processSync). */
export function perMessageSync(
  fn: (msg: Message, batch: Batch, index: number) => Message | Message[] | null,
  close?: () => Promise<void>,
): Processor {
  const processSync = (batch: Batch): Batch[] => {
    const out: Message[] = [];
    for (let i = 0; i < batch.length; i++) {
      const msg = batch[i];
      try {
        const r = fn(msg, batch, i);
        if (r === null) continue;
        if (Array.isArray(r)) out.push(...r);
        else out.push(r);
      } catch (err) {
        flagError(msg, err);
        out.push(msg);
      }
    }
    return [out];
  };
  return { process: (batch) => Promise.resolve(processSync(batch)), processSync, close };
}
