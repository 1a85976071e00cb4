// The placement protocol between converge (the host executor) and reef hosts: three internal KV
// buckets, nothing else. Hosts register in `reef-hosts` with a TTL and rewrite their entry (load,
// memory, whether they accept new streams) every third of it; converge writes `reef-placements`
// (`<id>.<replica>` → which host runs which version: running, stopped, or removed, which the host
// carries out and then deletes the placement itself); hosts write what became of each placement in
// `reef-host-reports`. No socket from a function to a host. Listings read the streams' subject
// lists (lib/store's Bucket.keys), never kv.keys(): no consumer per listing.
import { settingsFrom } from "../config";
import { z } from "zod";
import type { Bucket, BucketEntry, Store } from "../store";

export const hostRecordSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  pid: z.number(),
  startedAt: z.string(),
  updatedAt: z.string(),
  /** Streams running now. */
  streams: z.number(),
  /** Placements assigned to this host (running, starting, stopped or failed). */
  placed: z.number(),
  /** The host process's resident memory. */
  memoryBytes: z.number(),
  /** REEF_HOST_MAX_MEMORY, or null (no guard). */
  maxMemoryBytes: z.number().nullable(),
  /** False while the memory guard refuses new streams. */
  accepting: z.boolean(),
  /** Why the host refuses new streams, or null. */
  refusal: z.string().nullable(),
  /** Shared NATS connections its streams use. */
  natsConnections: z.number(),
});
export type HostRecord = z.infer<typeof hostRecordSchema>;

export const placementSchema = z.object({
  pipeline: z.string(),
  replica: z.number().int().nonnegative(),
  version: z.string(),
  digest: z.string(),
  host: z.string(),
  /** `removed`: the host stops the stream, forgets it and deletes the placement itself. */
  desired: z.enum(["running", "stopped", "removed"]),
  /** When this placement was (re)made: with host, version and digest, it names one incarnation. */
  placedAt: z.string(),
});
export type Placement = z.infer<typeof placementSchema>;

export const hostReportSchema = z.object({
  host: z.string(),
  pipeline: z.string(),
  replica: z.number(),
  version: z.string(),
  digest: z.string(),
  placedAt: z.string(),
  state: z.enum(["running", "stopped", "exited", "failed"]),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  startedAt: z.string().nullable(),
  updatedAt: z.string(),
});
export type HostReport = z.infer<typeof hostReportSchema>;

export interface Keyed<T> {
  key: string;
  revision: number;
  value: T;
}

export function placementKey(pipeline: string, replica: number): string {
  return `${pipeline}.${replica}`;
}

/** The host settings both sides read (README "The host executor"). */
export interface HostSettings {
  /** REEF_HOST_TTL: a host whose entry is older is gone (its placements move); it rewrites it every third. */
  ttlMs: number;
  /** REEF_HOST_MAX_MEMORY: above this resident memory a host refuses new streams; null: no guard. */
  maxMemoryBytes: number | null;
  /** REEF_STOP_TIMEOUT: how long a stream may take to stop (converge waits that long, and a bit). */
  stopTimeoutMs: number;
}

export function hostSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): HostSettings {
  const s = settingsFrom(env);
  return { ttlMs: s.hostTtl, maxMemoryBytes: s.hostMaxMemory ?? null, stopTimeoutMs: s.stopTimeout };
}

export class HostBuckets {
  private constructor(
    readonly hosts: Bucket,
    readonly placements: Bucket,
    readonly reports: Bucket,
  ) {}

  /** Binds to the three buckets, creating any that is missing (the hosts bucket with `ttlMs`). */
  static async open(store: Store, ttlMs: number): Promise<HostBuckets> {
    const { hosts, placements, reports } = await store.hostBuckets(ttlMs);
    return new HostBuckets(hosts, placements, reports);
  }

  /** Hosts whose entry has not expired. */
  async liveHosts(): Promise<HostRecord[]> {
    return (await readAll(this.hosts, ">", hostRecordSchema)).map((e) => e.value);
  }

  listPlacements(pipeline?: string): Promise<Keyed<Placement>[]> {
    return readAll(this.placements, pipeline ? `${pipeline}.*` : ">", placementSchema);
  }

  listReports(pipeline?: string): Promise<Keyed<HostReport>[]> {
    return readAll(this.reports, pipeline ? `${pipeline}.*` : ">", hostReportSchema);
  }

  async getPlacement(key: string): Promise<Keyed<Placement> | null> {
    return decode(await this.placements.get(key), placementSchema);
  }

  async getReport(key: string): Promise<Keyed<HostReport> | null> {
    return decode(await this.reports.get(key), hostReportSchema);
  }
}

export function decode<T>(e: BucketEntry | null, schema: z.ZodType<T>): Keyed<T> | null {
  if (!e || e.operation !== "PUT") return null;
  const parsed = schema.safeParse(safeJson(e.value));
  return parsed.success ? { key: e.key, revision: e.revision, value: parsed.data } : null;
}

function safeJson(value: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(value));
  } catch {
    return null;
  }
}

/**
 * Every current entry under `filter` (entries that do not parse are skipped). A read that fails
 * fails the listing: a host missing from a listing would be taken for lost.
 */
async function readAll<T>(bucket: Bucket, filter: string, schema: z.ZodType<T>): Promise<Keyed<T>[]> {
  const keys = await bucket.keys(filter);
  const entries = await Promise.all(keys.map((k) => bucket.get(k)));
  return entries.map((e) => decode(e, schema)).filter((e): e is Keyed<T> => e !== null);
}
