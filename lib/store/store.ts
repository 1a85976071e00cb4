// The JetStream side of reef: definitions (KV), configs (Object Store), status (KV, compare-and-set),
// change-event records (stream) and per-pipeline leases (KV with expiring entries).
import { createHash, randomUUID } from "node:crypto";
import { jetstreamManager, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV, type KvEntry } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { ReefError, statusSchema, type PipelineStatus } from "../model";
import { eventsRetentionFromEnv } from "./events";
import { storeNamesFromEnv, type StoreNames } from "./names";

export interface StoreOptions {
  /** Where names and retention come from when not given here (default process.env). */
  env?: NodeJS.ProcessEnv;
  names?: StoreNames;
  /** How long a converge may hold a pipeline's lease before it expires by itself. */
  leaseTtlMs?: number;
  /** Retention of the events stream (else REEF_EVENTS_MAX_AGE / REEF_EVENTS_MAX_BYTES, else 30 d / 1 GiB). */
  eventsMaxAgeMs?: number;
  eventsMaxBytes?: number;
}

/** A raw `pipelines` KV entry: PUT with a value, or a DEL/PURGE marker (no value to decode). */
export interface DefinitionEntry {
  key: string;
  revision: number;
  operation: "PUT" | "DEL" | "PURGE";
  value: Uint8Array;
  created: Date;
}

export interface StoredConfig {
  bytes: Uint8Array;
  /** sha256 of the bytes, hex. */
  digest: string;
}

export function configDigest(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function configObjectName(id: string, version: string): string {
  return `${id}/${version}`;
}

/** Busy: another converge holds the pipeline's lease past our bounded wait. */
export class LeaseBusyError extends ReefError {
  override name = "LeaseBusyError";
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class Store {
  private constructor(
    readonly nc: NatsConnection,
    readonly names: StoreNames,
    readonly jsm: JetStreamManager,
    readonly pipelines: KV,
    readonly configs: ObjectStore,
    readonly status: KV,
    private readonly leases: KV,
  ) {}

  /** Binds to reef's buckets, creating any that is missing (never deletes or reconfigures one). */
  static async open(nc: NatsConnection, opts: StoreOptions = {}): Promise<Store> {
    const env = opts.env ?? process.env;
    const names = opts.names ?? storeNamesFromEnv(env);
    const retention = { ...eventsRetentionFromEnv(env) };
    if (opts.eventsMaxAgeMs !== undefined) retention.eventsMaxAgeMs = opts.eventsMaxAgeMs;
    if (opts.eventsMaxBytes !== undefined) retention.eventsMaxBytes = opts.eventsMaxBytes;
    const jsm = await jetstreamManager(nc);
    const kvm = new Kvm(nc);
    const kv = async (name: string, extra: { ttl?: number; history?: number } = {}) =>
      (await streamExists(jsm, `KV_${name}`))
        ? kvm.open(name)
        : kvm.create(name, { history: extra.history ?? 10, storage: StorageType.File, ttl: extra.ttl });
    const objm = new Objm(nc);
    const configs = (await streamExists(jsm, `OBJ_${names.configs}`))
      ? await objm.open(names.configs)
      : await objm.create(names.configs, { storage: StorageType.File });
    const [pipelines, status, leases] = await Promise.all([
      kv(names.pipelines, { history: 64 }),
      kv(names.status),
      kv(names.leases, { history: 1, ttl: opts.leaseTtlMs ?? 60_000 }),
    ]);
    if (!(await streamExists(jsm, names.events))) {
      await jsm.streams
        .add({
          name: names.events,
          subjects: [`${names.eventsSubject}.>`],
          storage: StorageType.File,
          max_age: (retention.eventsMaxAgeMs ?? 30 * DAY_MS) * 1_000_000,
          max_bytes: retention.eventsMaxBytes ?? 1024 * 1024 * 1024,
        })
        .catch(async (err) => {
          // Another process created it between our check and our add.
          if (!(await streamExists(jsm, names.events))) throw err;
        });
    }
    return new Store(nc, names, jsm, pipelines, configs, status, leases);
  }

  // ---- definitions ----------------------------------------------------------------------------

  /** The current entry of a key, deletes included; null when the key never existed (or was purged). */
  async getDefinitionEntry(id: string): Promise<DefinitionEntry | null> {
    const e = await this.pipelines.get(id);
    return e ? toDefinitionEntry(e) : null;
  }

  /** A definition entry as of a KV revision (history), or null when that revision is gone. */
  async getDefinitionAt(id: string, revision: number): Promise<DefinitionEntry | null> {
    const e = await this.pipelines.get(id, { revision }).catch(() => null);
    return e && e.key === id ? toDefinitionEntry(e) : null;
  }

  /** Every key that currently has a value. */
  async listDefinitionKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const k of await this.pipelines.keys()) keys.push(k);
    return keys.sort();
  }

  // ---- configs --------------------------------------------------------------------------------

  async getConfig(id: string, version: string): Promise<StoredConfig | null> {
    const bytes = await this.configs.getBlob(configObjectName(id, version));
    return bytes ? { bytes, digest: configDigest(bytes) } : null;
  }

  /**
   * Stores the config of a version. Versions are immutable: writing different content to an
   * existing version fails; writing the same content again is a no-op.
   */
  async putConfig(id: string, version: string, bytes: Uint8Array): Promise<StoredConfig> {
    const digest = configDigest(bytes);
    const existing = await this.getConfig(id, version);
    if (existing) {
      if (existing.digest === digest) return existing;
      throw new ReefError(
        "INVALID_CONFIG",
        `config ${configObjectName(id, version)} already exists with other content: versions are immutable, write a new version`,
      );
    }
    await this.configs.putBlob({ name: configObjectName(id, version) }, bytes);
    return { bytes, digest };
  }

  /** Versions stored for a pipeline (object names `<id>/<version>`). */
  async listConfigVersions(id: string): Promise<string[]> {
    const prefix = `${id}/`;
    const infos = await this.configs.list();
    return infos
      .filter((i) => !i.deleted && i.name.startsWith(prefix))
      .map((i) => i.name.slice(prefix.length));
  }

  // ---- status ---------------------------------------------------------------------------------

  async getStatus(id: string): Promise<PipelineStatus | null> {
    const e = await this.status.get(id);
    if (!e || e.operation !== "PUT") return null;
    return statusSchema.parse(e.json());
  }

  async listStatuses(): Promise<PipelineStatus[]> {
    const out: PipelineStatus[] = [];
    for await (const key of await this.status.keys()) {
      const s = await this.getStatus(key).catch(() => null);
      if (s) out.push(s);
    }
    return out;
  }

  /**
   * Compare-and-set write of a status. A status for an older definition revision than the stored
   * one is dropped (revision never goes backwards). Returns whether it was written.
   */
  async writeStatus(next: PipelineStatus): Promise<boolean> {
    const data = JSON.stringify(next);
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.status.get(next.id);
      try {
        if (current && current.operation === "PUT") {
          const stored = safeJson(current) as { revision?: number } | undefined;
          if (stored && typeof stored.revision === "number" && stored.revision > next.revision) return false;
          await this.status.update(next.id, data, current.revision);
        } else {
          await this.status.create(next.id, data);
        }
        return true;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        // someone else wrote in between: read again and retry
      }
    }
    throw new ReefError("NATS_ERROR", `could not write status of ${next.id}: too many concurrent writers`);
  }

  async deleteStatus(id: string): Promise<void> {
    await this.status.delete(id);
  }

  // ---- leases ---------------------------------------------------------------------------------

  /**
   * Runs `fn` holding the pipeline's lease, so converges of one pipeline never interleave.
   * A lease left by a crashed holder expires after the leases bucket's TTL. Waits at most `waitMs`.
   */
  async withLease<T>(id: string, fn: () => Promise<T>, waitMs = 30_000): Promise<T> {
    const holder = randomUUID();
    const deadline = Date.now() + waitMs;
    let revision: number | undefined;
    for (let delay = 20; revision === undefined; delay = Math.min(delay * 2, 500)) {
      try {
        revision = await this.leases.create(id, holder);
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        if (Date.now() > deadline) {
          throw new LeaseBusyError(
            "EXECUTOR_ERROR",
            `pipeline ${id} is busy: another converge holds its lease`,
          );
        }
        await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
      }
    }
    try {
      return await fn();
    } finally {
      // Only our own lease: if it expired and another took it, this delete fails harmlessly.
      await this.leases.delete(id, { previousSeq: revision }).catch(() => undefined);
    }
  }

  // ---- events ---------------------------------------------------------------------------------

  eventSubject(id: string): string {
    return `${this.names.eventsSubject}.${id}`;
  }
}

function toDefinitionEntry(e: KvEntry): DefinitionEntry {
  return { key: e.key, revision: e.revision, operation: e.operation, value: e.value, created: e.created };
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (err) {
    if (/not found/i.test((err as Error).message)) return false;
    throw err;
  }
}

function safeJson(e: KvEntry): unknown {
  try {
    return e.json();
  } catch {
    return undefined;
  }
}

function isWrongLastSequence(err: unknown): boolean {
  const msg = (err as Error)?.message ?? "";
  return /wrong last sequence|key exists/i.test(msg);
}
