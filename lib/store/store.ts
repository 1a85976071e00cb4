// The JetStream side of reef: definitions (KV), configs (Object Store), status (KV, compare-and-set),
// change-event records (stream) and per-pipeline leases (KV with expiring entries).
import { createHash, randomUUID } from "node:crypto";
import { jetstream, jetstreamManager, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import { createInbox, type NatsConnection } from "@nats-io/transport-node";
import {
  forEachBounded,
  heartbeatKey,
  heartbeatSchema,
  ReefError,
  sleep,
  statusSchema,
  type Heartbeat,
  type PipelineStatus,
} from "../model";
import {
  Bucket,
  openKv,
  streamExists,
  toEntry as toDefinitionEntry,
  untilAborted,
  type BucketEntry,
  type Conditional,
} from "./bucket";
import { isWrongLastSequence } from "./errors";
import { eventsRetentionFromEnv, heartbeatIntervalFromEnv, logsRetentionFromEnv } from "./retention";
import { connectNats, type ConnectOptions } from "./connection";
import { storeNamesFromEnv, type StoreNames } from "./names";
import { listKvKeys } from "./keys";

export interface StoreOptions {
  /** Where names and retention come from when not given here (default process.env). */
  env?: NodeJS.ProcessEnv;
  names?: StoreNames;
  /**
   * How long the lease of a converge that stopped renewing it (it crashed) outlives it, when the
   * leases bucket is created here (default 15 s).
   */
  leaseTtlMs?: number;
  /** Retention of the events stream (else REEF_EVENTS_MAX_AGE / REEF_EVENTS_MAX_BYTES, else 30 d / 1 GiB). */
  eventsMaxAgeMs?: number;
  eventsMaxBytes?: number;
  /** TTL of heartbeat entries (default 60 s or 10 heartbeat intervals): entries of dead executions expire after it. */
  healthTtlMs?: number;
  /** Retention of the logs stream (else REEF_LOGS_MAX_AGE / REEF_LOGS_MAX_BYTES, else 24 h / 256 MiB). */
  logsMaxAgeMs?: number;
  logsMaxBytes?: number;
}

/** A heartbeat as stored: `receivedAt` is the server's time of the write (no client clock involved). */
export interface HeartbeatEntry {
  key: string;
  revision: number;
  receivedAt: number;
  heartbeat: Heartbeat;
}

/** A change of the health bucket: a heartbeat written, or a key deleted (`heartbeat` null). */
export interface HeartbeatChange {
  key: string;
  entry: HeartbeatEntry | null;
}

/** One log line of an execution, as published on `<logsSubject>.<id>.<replica>` (CONTRACT.md §6). */
export interface LogLine {
  time: string;
  level: string;
  message: string;
  replica: number;
}

export interface StoredLogLine extends LogLine {
  pipeline: string;
  seq: number;
}

export interface LogQuery {
  pipeline: string;
  replica?: number;
  /** Only lines stored at or after this time. */
  since?: Date;
  /** Only lines from this stream sequence on. */
  fromSeq?: number;
  /** Keep reading new lines until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
}

/** A raw `pipelines` KV entry: PUT with a value, or a DEL/PURGE marker (no value to decode). */
export type DefinitionEntry = BucketEntry;

/** A message received on a subject. */
export interface SubjectMessage {
  subject: string;
  data: Uint8Array;
  /** Where the sender waits for an answer, if it does. */
  reply?: string;
  /** Answers on `reply`; false when there is none. */
  respond(data: string | Uint8Array): boolean;
}

export interface PendingReply {
  subject: string;
  wait(): Promise<Uint8Array | null>;
  cancel(): void;
}

export interface EventsRetention {
  firstSeq: number;
  firstTime: Date;
  messages: number;
  maxAgeMs: number;
  maxBytes: number;
}

/** A stored config version, as listed (content not read). */
export interface ConfigInfo {
  version: string;
  /** sha256 of the content, hex. */
  digest: string;
  size: number;
  /** The object's modification time as its writer set it (may be unset or Go's zero time). */
  mtime: string;
}

/** How much config a Store keeps once read (a config is a few KB; the limit is 1 MiB). */
const CONFIG_CACHE_BYTES = 16 * 1024 * 1024;

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

/** The TTL of a new leases bucket: how long a crashed converge's lease blocks its pipeline. */
const LEASE_TTL_MS = 15_000;

/** Busy: another converge holds the pipeline's lease past our bounded wait. */
export class LeaseBusyError extends ReefError {
  override name = "LeaseBusyError";
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The NATS handles behind a Store. They never leave lib/store: other modules use the Store's typed
 * methods; tests that must write around reef reach them through `natsHandles` (./internal).
 */
export interface NatsHandles {
  nc: NatsConnection;
  jsm: JetStreamManager;
  pipelines: KV;
  configs: ObjectStore;
  status: KV;
  leases: KV;
  health: KV;
}

/** The raw handles of a store: for lib/store's own modules and, through ./internal, tests. */
export function natsHandles(store: Store): NatsHandles {
  return store["raw"];
}

export class Store {
  private readonly nc: NatsConnection;
  private readonly jsm: JetStreamManager;
  private readonly pipelines: KV;
  private readonly configs: ObjectStore;
  /** Configs read before, by object name, with the object's digest when read (see getConfig). */
  private readonly configCache = new Map<string, { objectDigest: string; config: StoredConfig }>();
  private configCacheBytes = 0;
  private readonly status: KV;
  private readonly leases: KV;
  private readonly health: KV;
  private readonly definitions: Bucket;

  private constructor(
    private readonly raw: NatsHandles,
    readonly names: StoreNames,
    /** How often a held lease is renewed: well within the leases bucket's TTL. */
    private readonly leaseRenewMs: number,
  ) {
    ({
      nc: this.nc,
      jsm: this.jsm,
      pipelines: this.pipelines,
      configs: this.configs,
      status: this.status,
      leases: this.leases,
      health: this.health,
    } = raw);
    this.definitions = new Bucket(raw.pipelines, raw.jsm, names.pipelines);
  }

  /** Connects (CONTRACT.md §4) and opens the store; the store owns the connection (close it with `close`). */
  static async connect(opts: StoreOptions & ConnectOptions = {}): Promise<Store> {
    const nc = await connectNats(opts);
    try {
      return await Store.open(nc, opts);
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
  }

  /** Binds to reef's buckets, creating any that is missing (never deletes or reconfigures one). */
  static async open(nc: NatsConnection, opts: StoreOptions = {}): Promise<Store> {
    const env = opts.env ?? process.env;
    const names = opts.names ?? storeNamesFromEnv(env);
    const retention = { ...eventsRetentionFromEnv(env) };
    if (opts.eventsMaxAgeMs !== undefined) retention.eventsMaxAgeMs = opts.eventsMaxAgeMs;
    if (opts.eventsMaxBytes !== undefined) retention.eventsMaxBytes = opts.eventsMaxBytes;
    const jsm = await jetstreamManager(nc);
    const kv = (name: string, extra: { ttl?: number; history?: number } = {}) =>
      openKv(nc, jsm, name, { history: extra.history ?? 10, ttl: extra.ttl });
    const objm = new Objm(nc);
    const configs = (await streamExists(jsm, `OBJ_${names.configs}`))
      ? await objm.open(names.configs)
      : await objm.create(names.configs, { storage: StorageType.File });
    const [pipelines, status, leases, health] = await Promise.all([
      kv(names.pipelines, { history: 64 }),
      kv(names.status),
      kv(names.leases, { history: 1, ttl: opts.leaseTtlMs ?? LEASE_TTL_MS }),
      // history: the last heartbeats of a replica tell whether it stopped sending (lib/telemetry)
      kv(names.health, {
        history: 8,
        ttl: opts.healthTtlMs ?? Math.max(60_000, 10 * heartbeatIntervalFromEnv(env)),
      }),
    ]);
    const logs = { ...logsRetentionFromEnv(env) };
    if (opts.logsMaxAgeMs !== undefined) logs.logsMaxAgeMs = opts.logsMaxAgeMs;
    if (opts.logsMaxBytes !== undefined) logs.logsMaxBytes = opts.logsMaxBytes;
    await ensureStream(jsm, {
      name: names.logs,
      subjects: [`${names.logsSubject}.>`],
      storage: StorageType.File,
      max_age: (logs.logsMaxAgeMs ?? DAY_MS) * 1_000_000,
      max_bytes: logs.logsMaxBytes ?? 256 * 1024 * 1024,
    });
    await ensureStream(jsm, {
      name: names.events,
      subjects: [`${names.eventsSubject}.>`],
      storage: StorageType.File,
      max_age: (retention.eventsMaxAgeMs ?? 30 * DAY_MS) * 1_000_000,
      max_bytes: retention.eventsMaxBytes ?? 1024 * 1024 * 1024,
    });
    // an existing bucket keeps the TTL it was created with (60 s before leases were renewed)
    const leaseTtlMs = (await leases.status()).ttl || LEASE_TTL_MS;
    return new Store(
      { nc, jsm, pipelines, configs, status, leases, health },
      names,
      Math.max(250, leaseTtlMs / 4),
    );
  }

  // ---- the host executor's placement buckets (lib/host) --------------------------------------

  /**
   * The three buckets of the placement protocol, each created when missing: live hosts (entries
   * expire after `hostTtlMs`), placements (written by converge), and what hosts report of them.
   */
  async hostBuckets(hostTtlMs: number): Promise<{ hosts: Bucket; placements: Bucket; reports: Bucket }> {
    const { nc, jsm } = this.raw;
    const bucket = async (name: string, opts: { history: number; ttl?: number }) =>
      new Bucket(await openKv(nc, jsm, name, opts), jsm, name);
    const [hosts, placements, reports] = await Promise.all([
      bucket(this.names.hosts, { history: 1, ttl: hostTtlMs }),
      bucket(this.names.placements, { history: 5 }),
      bucket(this.names.hostReports, { history: 1 }),
    ]);
    return { hosts, placements, reports };
  }

  // ---- the connection -------------------------------------------------------------------------

  /** True once the connection is closed for good (it gave up reconnecting, or was closed). */
  isClosed(): boolean {
    return this.nc.isClosed();
  }

  /** Closes the connection at once. */
  async close(): Promise<void> {
    await this.nc.close();
  }

  /** Closes the connection after what was published reached the server. */
  async drain(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  /** The connection's disconnects and reconnects, until it is closed (long-running clients log them). */
  async *connectionChanges(): AsyncIterable<{ type: "disconnect" | "reconnect"; server: string }> {
    for await (const s of this.nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnect") yield { type: s.type, server: s.server };
    }
  }

  /** Resolves once the server has seen everything published so far. */
  async flush(): Promise<void> {
    await this.nc.flush();
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

  /**
   * Every definition that currently has a value, by key. Listed from the stream's subjects (no
   * consumer: kv.keys() leaves one on the server for minutes per call, and the console lists every
   * few seconds), then read a few at a time, skipping delete and purge markers.
   */
  async listDefinitions(): Promise<DefinitionEntry[]> {
    const entries = await readBounded(await this.definitions.keys(), (k) => this.getDefinitionEntry(k));
    return entries
      .filter((e): e is DefinitionEntry => e?.operation === "PUT")
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Every key that currently has a value. */
  async listDefinitionKeys(): Promise<string[]> {
    return (await this.listDefinitions()).map((e) => e.key);
  }

  /**
   * Writes a definition's value; returns the new revision. With `ifRevision`, a compare-and-set:
   * written only while the key is at that revision (0: while it has no value, never written or
   * deleted), else a RevisionConflictError.
   */
  putDefinition(id: string, value: string | Uint8Array, opts: Conditional = {}): Promise<number> {
    return this.definitions.put(id, value, opts);
  }

  /** Deletes a definition (a delete marker: its history stays); with `ifRevision`, a compare-and-set. */
  deleteDefinition(id: string, opts: Conditional = {}): Promise<void> {
    return this.definitions.delete(id, opts);
  }

  /** Removes a definition with its whole history. */
  async purgeDefinition(id: string): Promise<void> {
    await this.pipelines.purge(id);
  }

  /** Every revision of a key the bucket still holds (delete markers included), oldest first. */
  async definitionHistory(id: string): Promise<DefinitionEntry[]> {
    const out: DefinitionEntry[] = [];
    for await (const e of await this.pipelines.history({ key: id })) {
      if (e.key === id) out.push(toDefinitionEntry(e));
    }
    return out.sort((a, b) => a.revision - b.revision);
  }

  /** Every definition change, the current entry of each key first, until `signal` aborts. */
  watchDefinitions(signal: AbortSignal): AsyncIterable<DefinitionEntry> {
    return this.definitions.watch({ signal });
  }

  // ---- configs --------------------------------------------------------------------------------

  /**
   * A version's config. Reading an object's content costs a consumer on the server; its metadata
   * is one direct get. So configs read before are kept (a few hundred, by object name) and served
   * again while the stored object's digest is unchanged: every converge reads its config, and a
   * version is immutable.
   */
  async getConfig(id: string, version: string): Promise<StoredConfig | null> {
    const name = configObjectName(id, version);
    const info = await this.configs.info(name);
    if (!info || info.deleted) {
      this.forgetConfig(name);
      return null;
    }
    const cached = this.configCache.get(name);
    if (cached?.objectDigest === info.digest) return cached.config;
    const bytes = await this.configs.getBlob(name);
    if (!bytes) return null;
    const config = { bytes, digest: configDigest(bytes) };
    this.forgetConfig(name);
    this.configCache.set(name, { objectDigest: info.digest, config });
    this.configCacheBytes += bytes.length;
    for (const oldest of this.configCache.keys()) {
      if (this.configCacheBytes <= CONFIG_CACHE_BYTES) break;
      this.forgetConfig(oldest);
    }
    return config;
  }

  private forgetConfig(name: string): void {
    this.configCacheBytes -= this.configCache.get(name)?.config.bytes.length ?? 0;
    this.configCache.delete(name);
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

  /** What is stored of a pipeline's configs (one per version), without reading their content. */
  async listConfigs(id: string): Promise<ConfigInfo[]> {
    const prefix = `${id}/`;
    const infos = await this.configs.list();
    return infos
      .filter((i) => !i.deleted && i.name.startsWith(prefix) && !i.name.slice(prefix.length).includes("/"))
      .map((i) => ({
        version: i.name.slice(prefix.length),
        digest: objectDigestToHex(i.digest),
        size: i.size,
        mtime: i.mtime,
      }));
  }

  async deleteConfig(id: string, version: string): Promise<void> {
    await this.configs.delete(configObjectName(id, version));
  }

  /** Each config stored from now on (not those before), until `signal` aborts. */
  async *watchConfigs(signal: AbortSignal): AsyncIterable<{ id: string; version: string }> {
    const watcher = await this.configs.watch({ includeHistory: false, ignoreDeletes: true });
    for await (const name of untilAborted(watcher, signal, (info) => info.name)) {
      const slash = name.indexOf("/");
      if (slash > 0) yield { id: name.slice(0, slash), version: name.slice(slash + 1) };
    }
  }

  // ---- status ---------------------------------------------------------------------------------

  async getStatus(id: string): Promise<PipelineStatus | null> {
    const e = await this.status.get(id);
    if (!e || e.operation !== "PUT") return null;
    return statusSchema.parse(e.json());
  }

  async listStatuses(): Promise<PipelineStatus[]> {
    const keys = await listKvKeys(this.jsm, this.names.status); // no consumer (see listDefinitions)
    const statuses = await readBounded(keys, (k) => this.getStatus(k).catch(() => null));
    return statuses.filter((s): s is PipelineStatus => s !== null);
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
   * Runs `fn` holding the pipeline's lease, so converges of one pipeline never interleave. The
   * lease is renewed while `fn` runs, so a long converge keeps it and the lease of a crashed holder
   * expires soon after it (the leases bucket's TTL). Waits at most `waitMs`.
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
        await sleep(delay * (0.5 + Math.random()));
      }
    }
    let held = revision;
    let renewing: Promise<void> | undefined;
    const renew = setInterval(() => {
      renewing ??= this.leases
        .update(id, holder, held)
        .then(
          (r) => void (held = r),
          () => undefined, // lost (expired and taken, or NATS away): the next attempt says
        )
        .finally(() => (renewing = undefined));
    }, this.leaseRenewMs);
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await renewing;
      // Only our own lease: if it expired and another took it, this delete fails harmlessly.
      await this.leases.delete(id, { previousSeq: held }).catch(() => undefined);
    }
  }

  // ---- watches --------------------------------------------------------------------------------

  /** Every status change (current values first); `null` when a status was deleted. Ends when `signal` aborts. */
  async *watchStatuses(signal: AbortSignal): AsyncIterable<{ id: string; status: PipelineStatus | null }> {
    const watcher = await this.status.watch();
    for await (const e of untilAborted(watcher, signal, (e) => e)) {
      if (e.operation !== "PUT") yield { id: e.key, status: null };
      else {
        const parsed = statusSchema.safeParse(safeJson(e));
        if (parsed.success) yield { id: e.key, status: parsed.data };
      }
    }
  }

  /**
   * One pipeline's status as it changes, the current one first (`null`: deleted), until `signal`
   * aborts. Values are passed on as stored (a value that is not JSON is skipped).
   */
  async *watchStatus(id: string, signal?: AbortSignal): AsyncIterable<PipelineStatus | null> {
    const watcher = await this.status.watch({ key: id });
    for await (const e of untilAborted(watcher, signal, (e) => e)) {
      if (e.operation !== "PUT") yield null;
      else {
        const value = safeJson(e);
        if (value !== undefined) yield value as PipelineStatus;
      }
    }
  }

  // ---- heartbeats (KV pipeline-health) --------------------------------------------------------

  /** Writes a heartbeat; with `previousRevision`, only if the key is still at that revision (else throws). */
  async putHeartbeat(heartbeat: Heartbeat, previousRevision?: number): Promise<number> {
    const key = heartbeatKey(heartbeat.id, heartbeat.replica);
    const data = JSON.stringify(heartbeat);
    if (previousRevision === undefined) return this.health.put(key, data);
    if (previousRevision === 0) return this.health.create(key, data);
    return this.health.update(key, data, previousRevision);
  }

  async getHeartbeat(id: string, replica: number): Promise<HeartbeatEntry | null> {
    const e = await this.health.get(heartbeatKey(id, replica));
    return e ? toHeartbeatEntry(e) : null;
  }

  /** The current heartbeats of one pipeline (or of every pipeline), by replica. */
  async listHeartbeats(id?: string): Promise<HeartbeatEntry[]> {
    const keys = await listKvKeys(this.jsm, this.names.health, id ? `${id}.*` : ">");
    const entries = await Promise.all(keys.map((k) => this.health.get(k)));
    return entries
      .map((e) => (e ? toHeartbeatEntry(e) : null))
      .filter((e): e is HeartbeatEntry => e !== null)
      .sort((a, b) => a.key.localeCompare(b.key, "en", { numeric: true }));
  }

  /**
   * The heartbeats the bucket still holds for one key, oldest first (at most its history, 8).
   * Bounded: a key rewritten or removed while it is read could keep the history read waiting, so
   * after `timeoutMs` it stops with what it has.
   */
  async heartbeatHistory(id: string, replica: number, timeoutMs = 2_000): Promise<HeartbeatEntry[]> {
    const out: HeartbeatEntry[] = [];
    const iter = await this.health.history({ key: heartbeatKey(id, replica) });
    const timer = setTimeout(() => iter.stop(), timeoutMs);
    try {
      for await (const e of iter) {
        const h = toHeartbeatEntry(e);
        if (h) out.push(h);
      }
    } finally {
      clearTimeout(timer);
    }
    return out;
  }

  async deleteHeartbeat(id: string, replica: number): Promise<void> {
    await this.health.purge(heartbeatKey(id, replica));
  }

  /** Removes every heartbeat of a pipeline (it no longer runs: draft, deleted). */
  async deleteHeartbeats(id: string): Promise<void> {
    for (const e of await this.listHeartbeats(id)) await this.health.purge(e.key);
  }

  /** Every heartbeat change (current values first) until `signal` aborts. */
  async *watchHeartbeats(signal: AbortSignal): AsyncIterable<HeartbeatChange> {
    const watcher = await this.health.watch();
    yield* untilAborted(watcher, signal, (e) => ({
      key: e.key,
      entry: e.operation === "PUT" ? toHeartbeatEntry(e) : null,
    }));
  }

  // ---- logs (stream PIPELINE_LOGS) ------------------------------------------------------------

  logSubject(id: string, replica: number): string {
    return `${this.names.logsSubject}.${id}.${replica}`;
  }

  /** Publishes one log line (core NATS: fire and forget; the stream keeps it). */
  publishLog(id: string, line: LogLine): void {
    this.nc.publish(this.logSubject(id, line.replica), JSON.stringify(line));
  }

  /**
   * A pipeline's stored log lines, oldest first; with `follow`, then every new one until `signal`
   * aborts. An ordered consumer: nothing is left behind on the server.
   */
  async *readLogs(q: LogQuery): AsyncIterable<StoredLogLine> {
    const consumer = await this.logsConsumer(q);
    const info = await consumer.info(true);
    if (!q.follow && info.num_pending === 0) return;
    const messages = await consumer.consume();
    const stop = () => void messages.stop();
    q.signal?.addEventListener("abort", stop, { once: true });
    try {
      for await (const m of messages) {
        try {
          const line = m.json<LogLine>();
          yield { ...line, pipeline: q.pipeline, seq: m.seq };
        } catch {
          // not one of ours: skip
        }
        if (!q.follow && m.info.pending === 0) break;
      }
    } finally {
      q.signal?.removeEventListener("abort", stop);
      await messages.close().catch(() => undefined);
    }
  }

  /**
   * The last `n` stored lines matching `q`, oldest first. Only those are read, however much the
   * stream holds: where they start is found by counting (a binary search over the stream's
   * sequences, each probe a consumer's pending count, computed by the server).
   */
  async tailLogs(q: Omit<LogQuery, "follow" | "signal">, n: number): Promise<StoredLogLine[]> {
    const read = async (from: LogQuery) => {
      const lines: StoredLogLine[] = [];
      if (n < 1) return lines;
      for await (const l of this.readLogs(from)) if (lines.push(l) >= n) break;
      return lines;
    };
    if ((await this.countLogs(q)) <= n) return read(q);
    const { first_seq, last_seq } = (await this.jsm.streams.info(this.names.logs)).state;
    // the largest start with at least n lines from it (the count only falls as the start grows)
    let lo = Math.max(first_seq, q.fromSeq ?? 0);
    let hi = last_seq;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((await this.countLogs({ ...q, fromSeq: mid })) >= n) lo = mid;
      else hi = mid - 1;
    }
    return read({ ...q, fromSeq: lo });
  }

  /** How many stored lines match. */
  private async countLogs(q: LogQuery): Promise<number> {
    const consumer = await this.logsConsumer(q);
    try {
      return (await consumer.info(true)).num_pending;
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }

  /** The last sequence of the logs stream (where the next line will come after). */
  async lastLogSeq(): Promise<number> {
    return (await this.jsm.streams.info(this.names.logs)).state.last_seq;
  }

  private logsConsumer(q: LogQuery) {
    return jetstream(this.nc).consumers.get(this.names.logs, {
      filter_subjects: `${this.names.logsSubject}.${q.pipeline}.${q.replica ?? "*"}`, // a string: also works on servers before 2.10
      ...(q.fromSeq
        ? { opt_start_seq: q.fromSeq }
        : q.since
          ? { opt_start_time: q.since.toISOString() }
          : {}),
    });
  }

  // ---- JetStream consumers (lag of a pipeline's input) ----------------------------------------

  /** The stream that stores `subject`. */
  findStream(subject: string): Promise<string> {
    return this.jsm.streams.find(subject);
  }

  /** A consumer's backlog: messages not yet delivered, and delivered but not acked. */
  async consumerLag(stream: string, consumer: string): Promise<{ pending: number; ackPending: number }> {
    const info = await this.jsm.consumers.info(stream, consumer);
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  }

  // ---- events ---------------------------------------------------------------------------------

  eventSubject(id: string): string {
    return `${this.names.eventsSubject}.${id}`;
  }

  /** What the events stream holds now and keeps (its retention limits; 0: none). */
  async eventsRetention(): Promise<EventsRetention> {
    const info = await this.jsm.streams.info(this.names.events);
    return {
      firstSeq: info.state.first_seq,
      firstTime: new Date(info.state.first_ts),
      messages: info.state.messages,
      maxAgeMs: info.config.max_age / 1e6,
      maxBytes: info.config.max_bytes,
    };
  }

  // ---- subjects (core NATS: job triggers and run results) -------------------------------------

  /** Publishes on a subject (fire and forget; `flush` to know the server has it). */
  publish(subject: string, data: string | Uint8Array): void {
    this.nc.publish(subject, data);
  }

  /**
   * Subscribes to a subject (with `queue`, one of the group's subscribers gets each message) until
   * `unsubscribe`; each message goes to `onMessage`.
   */
  subscribe(
    subject: string,
    opts: { queue?: string },
    onMessage: (msg: SubjectMessage) => void,
  ): { unsubscribe(): void } {
    return this.nc.subscribe(subject, {
      ...(opts.queue ? { queue: opts.queue } : {}),
      callback: (err, msg) => {
        if (err) return;
        onMessage({
          subject: msg.subject,
          data: msg.data,
          ...(msg.reply ? { reply: msg.reply } : {}),
          respond: (data) => msg.respond(data),
        });
      },
    });
  }

  /**
   * A fresh reply subject, listened on before it is handed out: `wait` resolves with the first
   * message sent to it, or null when none came within `timeoutMs`; `cancel` stops listening.
   */
  async replySubject(timeoutMs: number): Promise<PendingReply> {
    const subject = createInbox();
    const sub = this.nc.subscribe(subject, { max: 1, timeout: timeoutMs });
    await this.nc.flush();
    return {
      subject,
      wait: async () => {
        try {
          for await (const m of sub) return m.data;
          return null;
        } catch {
          return null; // timed out
        }
      },
      cancel: () => sub.unsubscribe(),
    };
  }
}

function toHeartbeatEntry(e: KvEntry): HeartbeatEntry | null {
  if (e.operation !== "PUT") return null;
  const parsed = heartbeatSchema.safeParse(safeJson(e));
  return parsed.success
    ? { key: e.key, revision: e.revision, receivedAt: e.created.getTime(), heartbeat: parsed.data }
    : null;
}

/** Creates a stream unless it exists (never reconfigures one a user may have tuned). */
async function ensureStream(
  jsm: JetStreamManager,
  config: Parameters<JetStreamManager["streams"]["add"]>[0],
) {
  if (await streamExists(jsm, config.name)) return;
  await jsm.streams.add(config).catch(async (err) => {
    // Another process created it between our check and our add.
    if (!(await streamExists(jsm, config.name))) throw err;
  });
}

function safeJson(e: KvEntry): unknown {
  try {
    return e.json();
  } catch {
    return undefined;
  }
}

/** The object store's `SHA-256=<base64url>` (or hex) digest as hex. */
function objectDigestToHex(digest: string): string {
  const raw = digest.replace(/^SHA-256=/i, "");
  if (/^[0-9a-f]{64}$/i.test(raw)) return raw.toLowerCase();
  return Buffer.from(raw, "base64").toString("hex");
}

/** Reads each key, a few at a time: fast for a thousand keys, gentle on the server. */
async function readBounded<T>(keys: string[], read: (key: string) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(keys.length);
  await forEachBounded([...keys.keys()], 16, undefined, async (i) => {
    out[i] = await read(keys[i]);
  });
  return out;
}
