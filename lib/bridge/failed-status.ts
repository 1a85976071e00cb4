// When a change keeps failing, the pipeline's status carries the error (nothing else would tell the
// user). Written with the store's compare-and-set, so it never overwrites a newer revision's status.
import type { PipelineStatus } from "../model";
import type { Store } from "../store";
import type { ChangeEvent } from "../model";

export async function writeFailedStatus(
  store: Store,
  event: ChangeEvent,
  error: { code: string; message: string },
  executor = "unknown",
): Promise<boolean> {
  const current = await store.getStatus(event.key).catch(() => null);
  const next: PipelineStatus = {
    ...(current ?? {
      id: event.key,
      desired: null,
      version: null,
      executor,
      executions: [],
    }),
    id: event.key,
    phase: "failed",
    revision: Math.max(event.revision, current?.revision ?? 0),
    error,
    updatedAt: new Date().toISOString(),
  };
  return store.writeStatus(next);
}
