// Records changes the way the bridge does: converge, then one appendEvent with the handled change.
import type { ConvergeDeps } from "../../lib/converge";
import type { ChangeEvent } from "../../lib/model";
import { toStatusError } from "../../lib/model";
import { convergeSettled } from "../helpers/converge";
import { appendEvent, type EventRecordInput, type StoredEvent, type Store } from "../../lib/store";

/** The change event for the key's current KV entry (what the bridge's watcher sees). */
export async function changeEventFor(store: Store, id: string): Promise<ChangeEvent> {
  const e = await store.getDefinitionEntry(id);
  if (!e) throw new Error(`no KV entry for ${id}`);
  return { key: id, operation: e.operation, revision: e.revision, timestamp: e.created.toISOString() };
}

/**
 * Converges the pipeline for a change and appends the record, as the bridge's record function does
 * (the converges it runs again while executions start are folded into the one result recorded).
 */
export async function handleAndRecord(deps: ConvergeDeps, event: ChangeEvent): Promise<StoredEvent> {
  const started = Date.now();
  let record: EventRecordInput;
  try {
    const result = await convergeSettled(deps, event.key);
    record = {
      event,
      outcome: "ok",
      result,
      durationMs: Date.now() - started,
      handledAt: new Date().toISOString(),
      attempts: 1,
    };
  } catch (err) {
    record = {
      event,
      outcome: "failed",
      error: toStatusError(err),
      durationMs: Date.now() - started,
      handledAt: new Date().toISOString(),
      attempts: 1,
    };
  }
  return appendEvent(deps.store, record);
}

/** A record without converging (for chain tests that need many records fast). */
export function fakeRecord(
  id: string,
  revision: number,
  extra: Partial<EventRecordInput> = {},
): EventRecordInput {
  return {
    event: { key: id, operation: "PUT", revision, timestamp: new Date().toISOString() },
    outcome: "ok",
    result: {
      id,
      revision,
      operation: "PUT",
      desired: "published",
      observed: [],
      actions: [`start ${id}#0 v1`],
      phase: "running",
      error: null,
    },
    durationMs: 12,
    handledAt: new Date().toISOString(),
    attempts: 1,
    ...extra,
  };
}
