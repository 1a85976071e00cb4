// Immutable config versions: `<id>/<version>` objects in the configs bucket. New content gets the
// next integer version; content identical to an existing version reuses it (no new object).
import { configDigest, type Store } from "../store";

export interface VersionInfo {
  version: string;
  /** sha256 of the config, hex (the digest executions are labelled with). */
  digest: string;
  size: number;
  /**
   * When the object was written, or null when unknown: a client that leaves the object's
   * modification time unset (nats.go 1.22 writes Go's zero time, 0001-01-01) says nothing about it.
   */
  createdAt: string | null;
}

/** An object's modification time as ISO text; unset, zero (year 1 or 1970) or unreadable → null. */
export function knownTime(mtime: string | undefined): string | null {
  const t = mtime ? Date.parse(mtime) : NaN;
  return Number.isFinite(t) && t > 0 ? new Date(t).toISOString() : null;
}

/** Orders versions the way people count: 2 before 10; non-numeric names after, alphabetically. */
export function compareVersions(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  if (na !== nb) return na ? -1 : 1;
  return a.localeCompare(b);
}

export async function listVersions(store: Store, id: string): Promise<VersionInfo[]> {
  return (await store.listConfigs(id))
    .map((i) => ({ version: i.version, digest: i.digest, size: i.size, createdAt: knownTime(i.mtime) }))
    .sort((a, b) => compareVersions(a.version, b.version));
}

export function nextVersion(versions: readonly VersionInfo[]): string {
  let max = 0;
  for (const v of versions) if (/^\d+$/.test(v.version)) max = Math.max(max, Number(v.version));
  return String(max + 1);
}

export interface VersionChoice {
  version: string;
  digest: string;
  /** True when a new object was (or, in a dry run, would be) written. */
  created: boolean;
}

/**
 * The version holding exactly `bytes`: an existing one with the same digest, else a new one.
 * Allocation runs under a per-pipeline lease so two writers never pick the same new number.
 */
export async function resolveVersion(
  store: Store,
  id: string,
  bytes: Uint8Array,
  opts: { dryRun?: boolean } = {},
): Promise<VersionChoice> {
  const digest = configDigest(bytes);
  const pick = async (): Promise<VersionChoice> => {
    const versions = await listVersions(store, id);
    const same = versions.filter((v) => v.digest === digest);
    // The newest identical version: re-applying the current config keeps the current version.
    if (same.length) return { version: same[same.length - 1].version, digest, created: false };
    const version = nextVersion(versions);
    if (!opts.dryRun) await store.putConfig(id, version, bytes);
    return { version, digest, created: true };
  };
  return opts.dryRun ? pick() : store.withLease(`versions.${id}`, pick, 15_000);
}
