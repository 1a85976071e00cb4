// Runs a replay step by step: progress after each step, and a stop between steps when the signal
// aborts (Ctrl-C), never in the middle of one.
import type { ReplayItem } from "./select";

export interface ReplayProgress {
  done: number;
  total: number;
  item: ReplayItem;
}

export interface ReplayRun<S> {
  steps: S[];
  total: number;
  /** True when stopped by the signal before every item ran. */
  aborted: boolean;
}

export async function runReplay<S>(
  items: ReplayItem[],
  step: (item: ReplayItem) => Promise<S>,
  opts: { signal?: AbortSignal; onStep?: (s: S, p: ReplayProgress) => void | Promise<void> } = {},
): Promise<ReplayRun<S>> {
  const steps: S[] = [];
  for (const item of items) {
    if (opts.signal?.aborted) return { steps, total: items.length, aborted: true };
    const s = await step(item);
    steps.push(s);
    await opts.onStep?.(s, { done: steps.length, total: items.length, item });
  }
  return { steps, total: items.length, aborted: false };
}
