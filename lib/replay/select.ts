// What a replay runs over: recorded events (the events stream) or every revision the KV history of
// one pipeline still holds. Each item is a change event, with the record of how it was handled when there is one.
import { OPERATIONS, type ChangeEvent } from "../model";
import { ReplayError } from "./errors";
import { readEvents, type EventFilter, type EventRecord, type Store, type StoredEvent } from "../store";

/** What a replay runs: a change, or a SCALE decision (replayed like a change: converge is level-triggered). */
export type ReplayEvent = Omit<ChangeEvent, "operation"> & { operation: ChangeEvent["operation"] | "SCALE" };

export interface ReplayItem {
  /** Stream sequence of the recorded event; null for a KV history revision that was never recorded. */
  seq: number | null;
  pipeline: string;
  event: ReplayEvent;
  /** How reef handled it at the time, when recorded. */
  recorded: EventRecord | null;
  /** When it was recorded (stream time), or when the KV revision was written. */
  time: Date;
}

export function itemFromStoredEvent(ev: StoredEvent): ReplayItem | null {
  if (!ev.record?.event) return null; // unreadable records are reported by `reef events verify`
  const event = changeOf(ev);
  if (!event) return null; // a job run's record: nothing to replay
  return { seq: ev.seq, pipeline: ev.pipeline, event, recorded: ev.record, time: ev.time };
}

/** The change (or SCALE decision) a record is about; null for records of job runs. */
function changeOf(ev: StoredEvent): ReplayEvent | null {
  const event = ev.record?.event;
  if (!event) return null;
  const operation = event.operation;
  return operation === "SCALE" || (OPERATIONS as readonly string[]).includes(operation)
    ? { ...event, operation: operation as ReplayEvent["operation"] }
    : null;
}

/** Recorded events matching the filter, oldest first. */
export async function selectEvents(store: Store, filter: EventFilter): Promise<ReplayItem[]> {
  const events = await readEvents(store, filter);
  return events.map(itemFromStoredEvent).filter((i): i is ReplayItem => i !== null);
}

/**
 * Every revision of the pipeline's key the KV still holds (oldest first), each joined with the
 * recorded event of that revision when there is one.
 */
export async function selectHistory(store: Store, id: string): Promise<ReplayItem[]> {
  const recorded = new Map<number, StoredEvent>();
  for (const ev of await readEvents(store, { pipeline: id })) {
    // the first record of a revision is the one that acted on the change
    if (changeOf(ev) && ev.record && !recorded.has(ev.record.event.revision))
      recorded.set(ev.record.event.revision, ev);
  }
  const items: ReplayItem[] = [];
  for (const e of await store.definitionHistory(id)) {
    const rec = recorded.get(e.revision);
    items.push({
      seq: rec?.seq ?? null,
      pipeline: id,
      event: { key: id, operation: e.operation, revision: e.revision, timestamp: e.created.toISOString() },
      recorded: rec?.record ?? null,
      time: e.created,
    });
  }
  if (items.length === 0) {
    throw new ReplayError("HISTORY_REMOVED", `the KV holds no revision of ${id} (never defined, or purged)`);
  }
  return items.sort((a, b) => a.event.revision - b.event.revision);
}

/**
 * Says when part of what the filter asks for was already removed by the events stream's retention
 * (age or size): a sequence range or a time window that starts before the oldest surviving record.
 */
export async function retentionNote(store: Store, filter: EventFilter): Promise<string | null> {
  const { firstSeq, firstTime, messages, maxAgeMs, maxBytes } = await store.eventsRetention();
  const limits = `retention: max age ${formatAge(maxAgeMs)}, max ${formatBytes(maxBytes)}`;
  if (filter.fromSeq !== undefined && filter.fromSeq < firstSeq && firstSeq > 1) {
    const to = Math.min(firstSeq - 1, filter.toSeq ?? Infinity);
    return `events ${filter.fromSeq}..${to} were already removed from ${store.names.events} (${limits}); the oldest left is ${firstSeq}`;
  }
  const oldest = messages > 0 ? firstTime : null;
  if (filter.since && oldest && filter.since < oldest && firstSeq > 1) {
    return `events before ${oldest.toISOString()} were already removed from ${store.names.events} (${limits})`;
  }
  return null;
}

function formatAge(ms: number): string {
  if (ms <= 0) return "none";
  const d = ms / 86_400_000;
  return d >= 1 ? `${+d.toFixed(1)}d` : `${+(ms / 3_600_000).toFixed(1)}h`;
}

function formatBytes(n: number): string {
  if (n <= 0) return "unlimited bytes";
  return n >= 1024 ** 3 ? `${+(n / 1024 ** 3).toFixed(1)} GiB` : `${+(n / 1024 ** 2).toFixed(1)} MiB`;
}

/** `a..b`, `a..`, `..b` or `a` → an inclusive stream sequence range. */
export function parseSeqRange(text: string): { fromSeq?: number; toSeq?: number } {
  const m = /^\s*(\d*)\s*(\.\.\s*(\d*))?\s*$/.exec(text);
  if (!m || (!m[1] && !m[3]))
    throw new ReplayError(
      "INVALID_SELECTION",
      `--seq: ${JSON.stringify(text)} is not a range (like 12..40, 12.., ..40 or 12)`,
    );
  const fromSeq = m[1] ? Number(m[1]) : undefined;
  const toSeq = m[2] ? (m[3] ? Number(m[3]) : undefined) : fromSeq;
  if (fromSeq !== undefined && toSeq !== undefined && fromSeq > toSeq) {
    throw new ReplayError("INVALID_SELECTION", `--seq: ${text} is empty (${fromSeq} > ${toSeq})`);
  }
  return { fromSeq, toSeq };
}
