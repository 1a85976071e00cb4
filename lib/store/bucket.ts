// A KV bucket behind reef's own small interface: entries, compare-and-set writes that throw
// RevisionConflictError, key listings without consumers, and watches as async iterables. The
// host executor's placement buckets are used through it (lib/host); the Store's own buckets too.
import { StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV, type KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { conditioned, isStreamNotFound } from "./errors";
import { listKvKeys } from "./keys";

/** One entry of a key: a value (PUT), or a DEL/PURGE marker (no value to decode). */
export interface BucketEntry {
  key: string;
  revision: number;
  operation: "PUT" | "DEL" | "PURGE";
  value: Uint8Array;
  /** The server's time of the write. */
  created: Date;
}

/** A write conditioned on the key's revision (compare-and-set); 0: the key must have no value. */
export interface Conditional {
  ifRevision?: number;
}

export class Bucket {
  constructor(
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    readonly name: string,
  ) {}

  async get(key: string): Promise<BucketEntry | null> {
    const e = await this.kv.get(key);
    return e ? toEntry(e) : null;
  }

  /**
   * Writes a value; returns the new revision. With `ifRevision`, only while the key is at that
   * revision (0: while it has no value), else a RevisionConflictError.
   */
  async put(key: string, value: string | Uint8Array, opts: Conditional = {}): Promise<number> {
    const { ifRevision } = opts;
    if (ifRevision === undefined) return this.kv.put(key, value);
    return conditioned(key, ifRevision, () =>
      ifRevision === 0 ? this.kv.create(key, value) : this.kv.update(key, value, ifRevision),
    );
  }

  /** Writes a delete marker (the history stays); with `ifRevision`, a compare-and-set. */
  async delete(key: string, opts: Conditional = {}): Promise<void> {
    const { ifRevision } = opts;
    if (ifRevision === undefined) return this.kv.delete(key);
    await conditioned(key, ifRevision, () => this.kv.delete(key, { previousSeq: ifRevision }));
  }

  /** Removes a key with its history. */
  async purge(key: string): Promise<void> {
    await this.kv.purge(key);
  }

  /** Keys under `filter` (`>`, `<id>.*`) holding a message, markers included (see keys.ts). */
  keys(filter = ">"): Promise<string[]> {
    return listKvKeys(this.jsm, this.name, filter);
  }

  /**
   * Every change (the current entry of each key first, or from `fromRevision` on) until `signal`
   * aborts or the watch breaks (then it throws, or ends: the caller resumes).
   */
  async *watch(opts: { fromRevision?: number; signal?: AbortSignal } = {}): AsyncIterable<BucketEntry> {
    const watcher = await this.kv.watch(opts.fromRevision ? { resumeFromRevision: opts.fromRevision } : {});
    yield* untilAborted(watcher, opts.signal, toEntry);
  }
}

export function toEntry(e: KvEntry): BucketEntry {
  return { key: e.key, revision: e.revision, operation: e.operation, value: e.value, created: e.created };
}

/** Binds to a KV bucket, creating it when missing (never reconfigures an existing one). */
export async function openKv(
  nc: NatsConnection,
  jsm: JetStreamManager,
  name: string,
  opts: { history: number; ttl?: number },
): Promise<KV> {
  const kvm = new Kvm(nc);
  return (await streamExists(jsm, `KV_${name}`))
    ? kvm.open(name)
    : kvm.create(name, { history: opts.history, storage: StorageType.File, ttl: opts.ttl });
}

export async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (err) {
    if (isStreamNotFound(err)) return false;
    throw err;
  }
}

/**
 * The items of a watcher (KV or Object Store), mapped, until `signal` aborts or the watcher ends;
 * the watcher is stopped either way.
 */
export async function* untilAborted<E, T>(
  watcher: AsyncIterable<E> & { stop(): void },
  signal: AbortSignal | undefined,
  map: (e: E) => T,
): AsyncIterable<T> {
  const stop = () => watcher.stop();
  signal?.addEventListener("abort", stop, { once: true });
  try {
    if (signal?.aborted) return;
    for await (const e of watcher) yield map(e);
  } finally {
    signal?.removeEventListener("abort", stop);
    watcher.stop();
  }
}
