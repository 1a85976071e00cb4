// The record of every handled change, appended to the events stream (subject
// `<eventsSubject>.<id>`): the raw material for `reef events` / `reef replay`.
import type { ConvergeResult } from "../converge";
import type { ChangeEvent } from "../model";
import { appendEvent, type Store } from "../store";

export interface ChangeRecord {
  event: ChangeEvent;
  outcome: "ok" | "failed";
  /** The function's answer (outcome ok). */
  result?: ConvergeResult;
  /** Why the change failed after every attempt (outcome failed). */
  error?: { code: string; message: string };
  durationMs: number;
  handledAt: string;
  attempts: number;
}

/**
 * The one place the bridge writes records: the store appends it to the pipeline's hash chain
 * (lib/store/events.ts: prevSeq/prevHash/hash, deduplicated on retry).
 */
export async function writeChangeRecord(
  store: Store,
  record: ChangeRecord,
  trigger: "change" | "requeue" = "change",
): Promise<void> {
  await appendEvent(store, { ...record, trigger });
}
