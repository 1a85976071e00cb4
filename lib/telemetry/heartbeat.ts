// The heartbeat writer inside every execution: rewrites `pipeline-health` `<id>.<replica>` every
// interval and at once on a state change, with counters, rates over the last interval, latency,
// in-flight, consumer lag, the last error and memory (CONTRACT.md §6).
import type { Heartbeat, HeartbeatState } from "../model";
import type { Store } from "../store";
import { EMPTY_SAMPLE, type EngineSample, type SampleSource } from "./sample";

export interface ExecutionIdentity {
  id: string;
  /** Unknown where one task definition serves every replica (ECS): a free slot is claimed. */
  replica?: number;
  version: string;
  digest: string;
  engine: string;
}

export interface HeartbeatWriterOptions {
  store: Store;
  identity: ExecutionIdentity;
  intervalMs: number;
  /** Reports a failed write (NATS away): heartbeats go on at the next interval. */
  onError?: (err: unknown) => void;
  now?: () => number;
  /**
   * Calls `tick` every interval and returns the undo; default one timer per writer. A reef host
   * passes one shared ticker for all its streams.
   */
  every?: (tick: () => void) => () => void;
}

/** Most replica slots an execution tries when it claims one (ECS); the definition's cap is 32. */
const MAX_SLOTS = 256;

export class HeartbeatWriter {
  private state: HeartbeatState = "starting";
  private source: SampleSource = async () => EMPTY_SAMPLE;
  private readonly startedAt: string;
  private previous?: { at: number; counters: EngineSample["counters"] };
  private rates = { received: 0, sent: 0, errors: 0 };
  private replica?: number;
  /** Revision of our own last write, when writes are compare-and-set (a claimed slot). */
  private revision?: number;
  private stopTicks?: () => void;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly now: () => number;
  private extraError: Heartbeat["lastError"] = null;

  constructor(private readonly opts: HeartbeatWriterOptions) {
    this.now = opts.now ?? Date.now;
    this.startedAt = new Date(this.now()).toISOString();
    this.replica = opts.identity.replica;
  }

  /** The replica this execution reports as (claimed when it was not given). */
  get replicaNumber(): number | undefined {
    return this.replica;
  }

  /** Starts the periodic writes; the first heartbeat (`starting`) is written at once. */
  async start(): Promise<void> {
    await this.write();
    const tick = () => void this.write();
    if (this.opts.every) this.stopTicks = this.opts.every(tick);
    else {
      const timer = setInterval(tick, this.opts.intervalMs);
      timer.unref();
      this.stopTicks = () => clearInterval(timer);
    }
  }

  /** Where samples come from once the engine runs. */
  attach(source: SampleSource): void {
    this.source = source;
  }

  /** A state change is written at once. */
  setState(state: HeartbeatState, error?: { message: string; component: string }): Promise<void> {
    this.state = state;
    if (error) this.extraError = { ...error, at: new Date(this.now()).toISOString() };
    return this.write();
  }

  /** Stops writing; `remove` deletes the entry (a clean end), else it stays until the bucket's TTL. */
  async close(opts: { remove: boolean }): Promise<void> {
    this.stopTicks?.();
    await this.chain;
    this.closed = true;
    if (opts.remove && this.replica !== undefined) {
      await this.opts.store.deleteHeartbeat(this.opts.identity.id, this.replica).catch(() => undefined);
    }
  }

  /** Writes one heartbeat now (serialised with the periodic ones). */
  write(): Promise<void> {
    const next = this.chain.then(() => this.writeNow());
    this.chain = next.catch((err) => this.opts.onError?.(err));
    return this.chain as Promise<void>;
  }

  private async writeNow(): Promise<void> {
    if (this.closed) return;
    const sample = await this.source().catch(() => EMPTY_SAMPLE);
    const at = this.now();
    if (this.previous && at - this.previous.at >= 10) {
      const seconds = (at - this.previous.at) / 1000;
      const rate = (k: keyof EngineSample["counters"]) =>
        round(Math.max(0, sample.counters[k] - this.previous!.counters[k]) / seconds);
      this.rates = { received: rate("received"), sent: rate("sent"), errors: rate("errors") };
    }
    this.previous = { at, counters: sample.counters };
    const lastError = newest(sample.lastError, this.extraError);
    const heartbeat = (replica: number): Heartbeat => ({
      id: this.opts.identity.id,
      replica,
      execution: `reef-${this.opts.identity.id}-${replica}`,
      version: this.opts.identity.version,
      digest: this.opts.identity.digest,
      engine: this.opts.identity.engine,
      state: this.state,
      startedAt: this.startedAt,
      updatedAt: new Date(at).toISOString(),
      counters: sample.counters,
      rates: this.rates,
      latencyMs: { p50: round(sample.latencyMs.p50), p99: round(sample.latencyMs.p99) },
      inFlight: sample.inFlight,
      lag: sample.lag,
      lastError,
      memoryBytes: sample.memoryBytes,
    });
    if (this.opts.identity.replica !== undefined) {
      await this.opts.store.putHeartbeat(heartbeat(this.opts.identity.replica));
      return;
    }
    if (this.replica !== undefined && this.revision !== undefined) {
      try {
        this.revision = await this.opts.store.putHeartbeat(heartbeat(this.replica), this.revision);
        return;
      } catch {
        // our slot was taken over (we were frozen past the staleness limit): claim another
      }
    }
    await this.claim(heartbeat);
  }

  /** Claims the lowest slot that is free or whose heartbeat is stale (3 intervals). */
  private async claim(heartbeat: (replica: number) => Heartbeat): Promise<void> {
    const { store, identity, intervalMs } = this.opts;
    for (let slot = 0; slot < MAX_SLOTS; slot++) {
      const current = await store.getHeartbeat(identity.id, slot);
      if (current && this.now() - current.receivedAt < 3 * intervalMs) continue;
      try {
        this.revision = await store.putHeartbeat(heartbeat(slot), current?.revision ?? 0);
        this.replica = slot;
        return;
      } catch {
        // another execution claimed it first: try the next
      }
    }
    throw new Error(`no free heartbeat slot for ${identity.id}`);
  }
}

function newest(a: Heartbeat["lastError"], b: Heartbeat["lastError"]): Heartbeat["lastError"] {
  if (!a) return b;
  if (!b) return a;
  return a.at >= b.at ? a : b;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
