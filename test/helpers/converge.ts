// Converging as the bridge does: a converge that answers `requeueAfterMs` while executions are
// still starting or stopping is run again after that long, until the pipeline arrived (bounded).
import { converge, type ConvergeDeps, type ConvergeResult } from "../../lib/converge";
import type { PipelineStatus } from "../../lib/model";
import { waitFor } from "./nats";

/**
 * Calls `call` again after each `requeueAfterMs` it answers while the pipeline is on its way
 * (`pending`), until an answer is not (or `boundMs` passed: the last answer is returned).
 */
export async function followRequeues<R extends { requeueAfterMs?: number; phase?: string }>(
  call: () => Promise<R>,
  boundMs = 30_000,
): Promise<{ first: R; last: R; all: R[] }> {
  const deadline = Date.now() + boundMs;
  const all = [await call()];
  for (;;) {
    const last = all.at(-1)!;
    const after = last.phase === "pending" ? last.requeueAfterMs : undefined;
    if (!after || Date.now() + after > deadline) return { first: all[0], last, all };
    await new Promise((r) => setTimeout(r, after));
    all.push(await call());
  }
}

/**
 * One converge of `id` followed through its requeues: the final phase, status and error, with the
 * actions of every converge on the way (what one converge that waited would have answered).
 */
export async function convergeSettled(
  deps: ConvergeDeps,
  id: string,
  boundMs?: number,
): Promise<ConvergeResult> {
  const { first, last, all } = await followRequeues(() => converge(deps, id), boundMs);
  return { ...last, observed: first.observed, actions: all.flatMap((r) => r.actions) };
}

/**
 * Converges `id` again and again until its status satisfies `ok` (a job run's end is observed,
 * never assumed); fails after `timeoutMs`.
 */
export async function convergeUntilStatus(
  deps: ConvergeDeps,
  id: string,
  ok: (s: PipelineStatus) => boolean,
  what: string,
  timeoutMs: number,
): Promise<PipelineStatus> {
  return waitFor(
    async () => {
      await converge(deps, id);
      const s = await deps.store.getStatus(id);
      return s && ok(s) ? s : null;
    },
    what,
    timeoutMs,
  );
}
