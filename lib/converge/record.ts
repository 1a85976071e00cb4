// What the reconcile did, recorded in the events stream like the changes the bridge handles
// (lib/bridge/record.ts): hash-chained per pipeline and replayable with `reef replay`. So the history
// has no holes: a change made while no bridge ran, an orphan removed, drift repaired are all there.
import { toStatusError, type ChangeEvent, type StatusError } from "../model";
import { appendEvent, type RecordedResult, type Store } from "../store";

/**
 * A reconcile converge is recorded when it acted (started, stopped or removed executions), or when
 * it handled a revision the pipeline's status did not reflect before (no record covers it yet).
 * A converge that only confirmed what the status said is not: nothing happened.
 */
export function reconcileActed(result: RecordedResult, statusRevisionBefore: number | undefined): boolean {
  return result.actions.length > 0 || statusRevisionBefore !== result.revision;
}

export interface ReconcileStep {
  id: string;
  /** The converge result (a ConvergeResult); absent when the converge failed. */
  result?: RecordedResult;
  error?: StatusError;
  startedAt: number;
}

export async function recordReconcileStep(store: Store, step: ReconcileStep): Promise<void> {
  const handledAt = new Date();
  await appendEvent(store, {
    event: await eventOf(store, step, handledAt),
    trigger: "reconcile",
    ...(step.result ? { outcome: "ok", result: step.result } : { outcome: "failed", error: step.error }),
    durationMs: handledAt.getTime() - step.startedAt,
    handledAt: handledAt.toISOString(),
    attempts: 1,
  });
}

/** The change the step converged to: the key's entry (a key with no entry at all is as purged). */
async function eventOf(store: Store, step: ReconcileStep, at: Date): Promise<ChangeEvent> {
  let { operation, revision }: { operation: string; revision: number } = step.result ?? {
    operation: "NONE",
    revision: 0,
  };
  if (!step.result) {
    const entry = await store.getDefinitionEntry(step.id).catch(() => null);
    if (entry) ({ operation, revision } = entry);
  }
  return {
    key: step.id,
    operation: operation === "PUT" || operation === "DEL" ? operation : "PURGE",
    revision,
    timestamp: at.toISOString(),
  };
}

/** The error of a step that could not be recorded (reported with the reconcile's failures). */
export function notRecorded(err: unknown): StatusError {
  const e = toStatusError(err, "NATS_ERROR");
  return { ...e, message: `what reconcile did was not recorded: ${e.message}` };
}
