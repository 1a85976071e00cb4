// The change history: one record per change the bridge handled, in the events stream, subject
// `<eventsSubject>.<id>`. Records of one pipeline form a hash chain (prevSeq/prevHash → the previous
// record of that pipeline), so an edited, dropped or inserted record is detected by `verifyChains`.
// Appends use JetStream's expected-last-subject-sequence, so concurrent writers never fork a chain.
import { createHash } from "node:crypto";
import { AckPolicy, DeliverPolicy, jetstream, type StoredMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { ReefError, sleep, type ChangeEvent, type Execution, type StatusError } from "../model";
import { isNoMessageFound, isWrongLastSequence } from "./errors";
import { natsHandles, type Store } from "./store";

/** What `converge` returned (structurally lib/converge's ConvergeResult; store sits below converge). */
export interface RecordedResult {
  id: string;
  revision: number;
  operation: string;
  desired: string;
  /** The executions found before acting. */
  observed: Execution[];
  actions: string[];
  phase: string;
  error: StatusError | null;
}

/**
 * What made reef act: `change`, a change of the definitions the bridge handled (records without a
 * trigger are changes too: they predate the field); `reconcile`, the reconcile, when it acted or
 * handled a revision no record covered yet (a change made while no bridge ran, an orphan, drift);
 * `requeue`, a converge the bridge ran again because the last one asked to (executions were still
 * starting or stopping), recorded when it acted.
 */
export type RecordTrigger = "change" | "reconcile" | "requeue" | "run" | "autoscale";

/**
 * What a record is about: a change (PUT, DEL, PURGE), a job run's start, end or skip (CONTRACT.md
 * §8), or an autoscaling decision (SCALE, CONTRACT.md §6).
 */
export type RecordedEvent = Omit<ChangeEvent, "operation"> & {
  operation: ChangeEvent["operation"] | "RUN_START" | "RUN_END" | "RUN_SKIP" | "SCALE";
};

/** What a SCALE record says besides the converge result: the decision and what it was made from. */
export interface ScaleRecord {
  from: number;
  to: number;
  reason: string;
  /** The lag samples the decision read (server time of each heartbeat, pending). */
  lag: { at: number; pending: number | null }[];
  /** When the replicas changed before (ms), or null; and the clock of the decision (ms). */
  changedAt: number | null;
  now: number;
}

/** One action of reef on a pipeline: a handled change, or what the reconcile did. */
export interface EventRecordInput {
  /**
   * The change acted on. For the reconcile: the pipeline's KV entry it converged to (operation
   * `PURGE` and revision 0 when the key has no entry at all) and the time it acted. For the
   * autoscaler: operation `SCALE`, the definition revision in force.
   */
  event: RecordedEvent;
  trigger?: RecordTrigger;
  /** Present on run records (trigger `run`): the run as the job's status shows it. */
  run?: Record<string, unknown>;
  outcome: "ok" | "failed";
  /** Present when outcome is `ok`. */
  result?: RecordedResult;
  /** Present when outcome is `failed`. */
  error?: StatusError;
  /** Present on SCALE records. */
  scale?: ScaleRecord;
  durationMs: number;
  /** ISO time the bridge finished handling the change. */
  handledAt: string;
  attempts: number;
}

/** A record as stored: the input plus its links in the pipeline's chain. */
export interface EventRecord extends EventRecordInput {
  /** Stream sequence of the previous record of this pipeline; null for the first one. */
  prevSeq: number | null;
  /** SHA-256 (hex) of the previous record's bytes as stored; null for the first one. */
  prevHash: string | null;
  /** SHA-256 (hex) of this record's canonical JSON without the `hash` field. */
  hash: string;
}

type UnhashedRecord = Omit<EventRecord, "hash">;

/** A message of the events stream. `record` is null when the bytes are not a readable record. */
export interface StoredEvent {
  seq: number;
  subject: string;
  /** Pipeline id, from the subject. */
  pipeline: string;
  /** When the stream stored it. */
  time: Date;
  data: Uint8Array;
  record: EventRecord | null;
}

export class EventAppendError extends ReefError {
  override name = "EventAppendError";
  constructor(message: string) {
    super("NATS_ERROR", message);
  }
}

export interface AppendOptions {
  /** Attempts when another writer appended to the same pipeline in between (default 20). */
  maxAttempts?: number;
}

/**
 * Appends a record to its pipeline's chain (pipeline = `record.event.key`) and returns it as stored.
 * Concurrent appends for one pipeline serialize through the expected last subject sequence; a
 * retried identical record (same content) is deduplicated by JetStream (Nats-Msg-Id).
 */
export async function appendEvent(
  store: Store,
  record: EventRecordInput,
  opts: AppendOptions = {},
): Promise<StoredEvent> {
  const input = normalize(record) as EventRecordInput;
  const pipeline = input.event.key;
  const subject = store.eventSubject(pipeline);
  const stream = store.names.events;
  const js = jetstream(natsHandles(store).nc);
  const msgID = sha256(canonicalJson(input));
  const maxAttempts = opts.maxAttempts ?? 20;
  const heads = chainHeads(store);
  for (let attempt = 1; ; attempt++) {
    // The head we appended last saves a read; the expected sequence below proves it is still the head.
    let prev = heads.get(pipeline);
    const cached = prev !== undefined;
    if (!prev) {
      const last = await natsHandles(store)
        .jsm.streams.getMessage(stream, { last_by_subj: subject })
        .catch(notFoundAsNull);
      prev = last ? { seq: last.seq, hash: sha256(last.data) } : null;
    }
    const chained: UnhashedRecord = {
      ...input,
      prevSeq: prev ? prev.seq : null,
      prevHash: prev ? prev.hash : null,
    };
    const full: EventRecord = { ...chained, hash: recordHash(chained) };
    const data = new TextEncoder().encode(JSON.stringify(full));
    try {
      const ack = await js.publish(subject, data, {
        msgID,
        expect: { streamName: stream, lastSubjectSequence: prev ? prev.seq : 0 },
      });
      if (ack.duplicate) {
        heads.delete(pipeline); // the stored copy may have other links than ours
        const stored = await natsHandles(store).jsm.streams.getMessage(stream, { seq: ack.seq });
        if (stored) return toStoredEvent(stored, store.names.eventsSubject);
      }
      heads.set(pipeline, { seq: ack.seq, hash: sha256(data) });
      return { seq: ack.seq, subject, pipeline, time: new Date(), data, record: full };
    } catch (err) {
      heads.delete(pipeline);
      if (!isWrongLastSequence(err) || attempt >= maxAttempts) {
        if (isWrongLastSequence(err)) {
          throw new EventAppendError(
            `could not append the event of ${pipeline}: ${maxAttempts} attempts lost to concurrent writers`,
          );
        }
        throw err;
      }
      // another writer appended to this pipeline: re-read its last record and chain after it
      if (!cached) await sleep(Math.min(10 * 2 ** attempt, 500) * (0.5 + Math.random()));
    }
  }
}

/** Per store: each pipeline's last record as this process appended it (seq and hash). */
const heads = new WeakMap<Store, Map<string, { seq: number; hash: string } | null>>();

function chainHeads(store: Store): Map<string, { seq: number; hash: string } | null> {
  let m = heads.get(store);
  if (!m) heads.set(store, (m = new Map()));
  return m;
}

export interface EventFilter {
  pipeline?: string;
  /** Records stored at or after this time. */
  since?: Date;
  /** Records stored at or before this time. */
  until?: Date;
  /** Only records whose outcome is `failed` (or whose converge reported an error). */
  failed?: boolean;
  /** Stream sequence range, inclusive. */
  fromSeq?: number;
  toSeq?: number;
}

/** Reads the events stream oldest first, up to its last message when called (nothing durable is left behind). */
export async function* iterateEvents(store: Store, filter: EventFilter = {}): AsyncGenerator<StoredEvent> {
  const stream = store.names.events;
  const info = await natsHandles(store).jsm.streams.info(stream);
  const lastSeq =
    filter.toSeq !== undefined ? Math.min(filter.toSeq, info.state.last_seq) : info.state.last_seq;
  if (info.state.messages === 0 || lastSeq < Math.max(filter.fromSeq ?? 0, info.state.first_seq)) return;
  const subject = filter.pipeline ? store.eventSubject(filter.pipeline) : `${store.names.eventsSubject}.>`;
  const start =
    filter.fromSeq !== undefined
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: filter.fromSeq }
      : filter.since
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: filter.since.toISOString() }
        : { deliver_policy: DeliverPolicy.All };
  // An ephemeral, unacknowledged consumer: reads without leaving anything behind (it also expires
  // by itself if we die mid-read). A single filter_subject works on every server version.
  const ci = await natsHandles(store).jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    filter_subject: subject,
    inactive_threshold: nanos(60_000),
    mem_storage: true,
    ...start,
  });
  try {
    const consumer = await jetstream(natsHandles(store).nc).consumers.get(stream, ci.name);
    let pending = ci.num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, 256), expires: 5_000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        pending = m.info.pending;
        if (m.seq > lastSeq) return;
        const ev = toStoredEvent(
          { seq: m.seq, subject: m.subject, time: new Date(m.info.timestampNanos / 1e6), data: m.data },
          store.names.eventsSubject,
        );
        if (filter.since && ev.time < filter.since) continue;
        if (filter.until && ev.time > filter.until) return;
        if (filter.failed && !isFailed(ev)) continue;
        yield ev;
      }
      if (got === 0) {
        throw new ReefError(
          "NATS_ERROR",
          `reading ${stream}: no message arrived although ${pending} are pending`,
        );
      }
    }
  } finally {
    await natsHandles(store)
      .jsm.consumers.delete(stream, ci.name)
      .catch(() => undefined);
  }
}

export async function readEvents(store: Store, filter: EventFilter = {}): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const ev of iterateEvents(store, filter)) out.push(ev);
  return out;
}

/** A record the converge did not carry out: the call failed, or the result carries an error. */
export function isFailed(ev: StoredEvent): boolean {
  const r = ev.record;
  return !r || r.outcome !== "ok" || Boolean(r.result?.error);
}

/** One JSON-friendly row per recorded event (the `--json` shape of `reef events`, and of the api's `GET /pipelines/{id}/events`). */
export interface EventRow {
  seq: number;
  time: string;
  pipeline: string;
  operation: string | null;
  revision: number | null;
  /** What made reef act: `change` (the bridge) or `reconcile`. */
  trigger: string | null;
  outcome: string;
  phase: string | null;
  actions: string[];
  error: { code: string; message: string } | null;
  durationMs: number | null;
  attempts: number | null;
  hash: string | null;
}

export function eventRow(ev: StoredEvent): EventRow {
  const r = ev.record;
  return {
    seq: ev.seq,
    time: ev.time.toISOString(),
    pipeline: ev.pipeline,
    operation: r?.event?.operation ?? null,
    revision: r?.event?.revision ?? null,
    trigger: r ? (r.trigger ?? "change") : null,
    outcome: r ? r.outcome : "unreadable",
    phase: r?.result?.phase ?? null,
    actions: r?.result?.actions ?? [],
    error: r?.error ?? r?.result?.error ?? null,
    durationMs: r?.durationMs ?? null,
    attempts: r?.attempts ?? null,
    hash: r?.hash ?? null,
  };
}

// ---- verification ---------------------------------------------------------------------------

export type ChainProblemKind =
  /** Not a JSON record with the chain fields. */
  | "unreadable"
  /** The record's content does not match its hash: it was edited. */
  | "hash"
  /** prevSeq/prevHash do not point at the previous surviving record: a record was removed, edited or inserted. */
  | "link"
  /** The chain's first surviving record points at a predecessor that retention has not removed, yet it is gone. */
  | "missing-start"
  /** A stream message was deleted out of order (retention only removes the oldest): history was dropped. */
  | "deleted";

export interface ChainProblem {
  kind: ChainProblemKind;
  /** Null for a deleted message whose pipeline cannot be known any more. */
  pipeline: string | null;
  seq: number;
  message: string;
}

export interface ChainSummary {
  pipeline: string;
  records: number;
  firstSeq: number;
  lastSeq: number;
  /** The first surviving record's predecessor was removed by retention (the chain is still whole from there). */
  startsAfterRetention: boolean;
}

export interface VerifyReport {
  ok: boolean;
  stream: { name: string; firstSeq: number; lastSeq: number; messages: number };
  chains: ChainSummary[];
  /** Every problem, in stream order. */
  problems: ChainProblem[];
  /** The first broken link (lowest sequence), or null. */
  firstBroken: ChainProblem | null;
}

/**
 * Checks every pipeline's chain (or one): each record's hash, each link to the previous surviving
 * record of its pipeline, and that no stream message was deleted out of order. A chain whose first
 * surviving record follows one removed by retention (older than the stream's first sequence) is whole.
 */
export async function verifyChains(store: Store, opts: { pipeline?: string } = {}): Promise<VerifyReport> {
  const stream = store.names.events;
  const info = await natsHandles(store).jsm.streams.info(stream, { deleted_details: true });
  const firstSeq = info.state.first_seq;
  const problems: ChainProblem[] = [];
  const chains = new Map<string, ChainSummary & { prev: StoredEvent | null }>();

  for await (const ev of iterateEvents(store, { pipeline: opts.pipeline })) {
    let chain = chains.get(ev.pipeline);
    if (!chain) {
      chain = {
        pipeline: ev.pipeline,
        records: 0,
        firstSeq: ev.seq,
        lastSeq: ev.seq,
        startsAfterRetention: false,
        prev: null,
      };
      chains.set(ev.pipeline, chain);
    }
    chain.records++;
    chain.lastSeq = ev.seq;
    const problem = checkRecord(ev, chain.prev, firstSeq);
    if (problem === "retention") chain.startsAfterRetention = true;
    else if (problem) problems.push(problem);
    chain.prev = ev;
  }

  // Out-of-order deletions. For one pipeline, a deletion before its last record is provably not
  // one of its records (its links are checked), so only later ones can hide a dropped record of it.
  const mine = opts.pipeline ? chains.get(opts.pipeline) : undefined;
  for (const seq of info.state.deleted ?? []) {
    if (seq < firstSeq || (mine && seq < mine.lastSeq)) continue;
    problems.push({
      kind: "deleted",
      pipeline: null,
      seq,
      message: `stream message ${seq} was deleted out of order (retention only removes the oldest): a record was dropped`,
    });
  }
  problems.sort((a, b) => a.seq - b.seq);
  return {
    ok: problems.length === 0,
    stream: { name: stream, firstSeq, lastSeq: info.state.last_seq, messages: info.state.messages },
    chains: [...chains.values()].map(({ prev: _prev, ...c }) => c).sort((a, b) => a.firstSeq - b.firstSeq),
    problems,
    firstBroken: problems[0] ?? null,
  };
}

function checkRecord(
  ev: StoredEvent,
  prev: StoredEvent | null,
  firstSeq: number,
): ChainProblem | "retention" | null {
  const at = (kind: ChainProblemKind, message: string): ChainProblem => ({
    kind,
    pipeline: ev.pipeline,
    seq: ev.seq,
    message,
  });
  const r = ev.record;
  if (!r) return at("unreadable", `record ${ev.seq} of ${ev.pipeline} is not a readable event record`);
  const { hash, ...rest } = r;
  if (recordHash(rest) !== hash) {
    return at("hash", `record ${ev.seq} of ${ev.pipeline} was edited: its content does not match its hash`);
  }
  if (r.event?.key !== ev.pipeline) {
    return at("link", `record ${ev.seq} is about ${String(r.event?.key)} but stored under ${ev.pipeline}`);
  }
  if (!prev) {
    if (r.prevSeq === null && r.prevHash === null) return null; // the chain's genesis
    if (r.prevSeq !== null && r.prevSeq < firstSeq) return "retention";
    return at(
      "missing-start",
      `record ${ev.seq} of ${ev.pipeline} follows record ${String(r.prevSeq)}, which is missing but not old enough to have been removed by retention (stream starts at ${firstSeq})`,
    );
  }
  if (r.prevSeq !== prev.seq) {
    const what =
      r.prevSeq === null
        ? "claims to start a new chain"
        : r.prevSeq > prev.seq
          ? `follows record ${r.prevSeq}, which is missing`
          : `follows record ${r.prevSeq}, not the previous record ${prev.seq}`;
    return at("link", `record ${ev.seq} of ${ev.pipeline} ${what}`);
  }
  if (r.prevHash !== sha256(prev.data)) {
    return at(
      "link",
      `record ${prev.seq} of ${ev.pipeline} was altered: record ${ev.seq} holds another hash for it`,
    );
  }
  return null;
}

// ---- serialization --------------------------------------------------------------------------

/** The hash a record carries: SHA-256 of its canonical JSON without `hash`. */
export function recordHash(record: UnhashedRecord): string {
  return sha256(canonicalJson(record));
}

/**
 * Canonical JSON (RFC 8785 JCS for values that came out of JSON.parse): object keys sorted by
 * UTF-16 code units, no whitespace, ECMAScript number and string serialization. Any client in any
 * language can recompute a hash from the stored record.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The JSON value of a record (drops undefined, Dates become strings): what is hashed is what is stored. */
function normalize(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function toStoredEvent(
  m: Pick<StoredMsg, "seq" | "subject" | "time" | "data">,
  eventsSubject: string,
): StoredEvent {
  return {
    seq: m.seq,
    subject: m.subject,
    pipeline: m.subject.startsWith(`${eventsSubject}.`)
      ? m.subject.slice(eventsSubject.length + 1)
      : m.subject,
    time: m.time,
    data: m.data,
    record: parseRecord(m.data),
  };
}

function parseRecord(data: Uint8Array): EventRecord | null {
  try {
    const r = JSON.parse(new TextDecoder().decode(data)) as EventRecord;
    if (typeof r !== "object" || r === null || typeof r.hash !== "string" || typeof r.event !== "object") {
      return null;
    }
    return r;
  } catch {
    return null;
  }
}

function notFoundAsNull(err: unknown): null {
  if (isNoMessageFound(err)) return null;
  throw err;
}
