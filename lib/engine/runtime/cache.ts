// `cache_resources: memory` and `rate_limit_resources: local`.
import { parseDuration } from "../duration";
import { sleep } from "./async";

export interface Cache {
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array, ttlMs?: number): void;
  /** Sets only when absent; false when the key exists. */
  add(key: string, value: Uint8Array, ttlMs?: number): boolean;
  delete(key: string): void;
}

export class MemoryCache implements Cache {
  private readonly items = new Map<string, { value: Uint8Array; expires: number }>();
  private readonly defaultTtl: number;
  private lastCompaction = Date.now();
  private readonly compactionMs: number;

  constructor(conf: {
    default_ttl: string;
    compaction_interval: string;
    init_values: Record<string, string>;
  }) {
    this.defaultTtl = conf.default_ttl ? parseDuration(conf.default_ttl) : 0;
    this.compactionMs = conf.compaction_interval ? parseDuration(conf.compaction_interval) : 0;
    for (const [k, v] of Object.entries(conf.init_values ?? {}))
      this.items.set(k, { value: new TextEncoder().encode(v), expires: Infinity });
  }

  private expiry(ttl?: number): number {
    const t = ttl ?? this.defaultTtl;
    return t > 0 ? Date.now() + t : Infinity;
  }

  private compact(): void {
    const now = Date.now();
    if (!this.compactionMs || now - this.lastCompaction < this.compactionMs) return;
    this.lastCompaction = now;
    for (const [k, v] of this.items) if (v.expires <= now) this.items.delete(k);
  }

  get(key: string): Uint8Array | undefined {
    const e = this.items.get(key);
    if (!e) return undefined;
    if (e.expires <= Date.now()) {
      this.items.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: Uint8Array, ttlMs?: number): void {
    this.compact();
    this.items.set(key, { value, expires: this.expiry(ttlMs) });
  }

  add(key: string, value: Uint8Array, ttlMs?: number): boolean {
    if (this.get(key) !== undefined) return false;
    this.set(key, value, ttlMs);
    return true;
  }

  delete(key: string): void {
    this.items.delete(key);
  }
}

export interface RateLimit {
  /** Waits until one more unit (message) may pass. */
  access(signal?: AbortSignal, bytes?: number): Promise<void>;
}

/** Benthos `local`: at most `count` accesses (and `byte_size` bytes when set) per `interval`. */
export class LocalRateLimit implements RateLimit {
  private used = 0;
  private usedBytes = 0;
  private windowStart = Date.now();
  private readonly intervalMs: number;

  constructor(private readonly conf: { count: number; interval: string; byte_size: number }) {
    this.intervalMs = parseDuration(conf.interval);
  }

  async access(signal?: AbortSignal, bytes = 0): Promise<void> {
    for (;;) {
      const now = Date.now();
      if (now - this.windowStart >= this.intervalMs) {
        this.windowStart = now;
        this.used = 0;
        this.usedBytes = 0;
      }
      const countOk = this.conf.count <= 0 || this.used < this.conf.count;
      const bytesOk = this.conf.byte_size <= 0 || this.usedBytes < this.conf.byte_size;
      if (countOk && bytesOk) {
        this.used++;
        this.usedBytes += bytes;
        return;
      }
      if (signal?.aborted) throw new Error("rate limit wait aborted");
      await sleep(this.windowStart + this.intervalMs - now, signal);
    }
  }
}
