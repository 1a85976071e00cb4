// Layers around every output: metrics and output-level processors, the batching policy, and the
// max_in_flight limit on concurrent writes.
import { parseDuration } from "../../duration";
import type { Batch, Message } from "../../message";
import { Semaphore } from "../../runtime/async";
import type { ComponentCounter } from "../../runtime/metrics";
import type { Output, Processor } from "../../runtime/types";
import { checker } from "../processors/flow";
import { runProcessors } from "../processors/run";

export class LimitedOutput implements Output {
  private readonly sem: Semaphore;
  constructor(private readonly inner: Output) {
    this.sem = new Semaphore(Math.max(1, inner.maxInFlight));
  }
  get maxInFlight(): number {
    return this.inner.maxInFlight;
  }
  get maxPending(): number | undefined {
    return this.inner.maxPending;
  }
  connect(): Promise<void> {
    return this.inner.connect();
  }
  write(batch: Batch): Promise<void> {
    // Promise callbacks, not an async function: this runs once per message on the hot path.
    if (!this.sem.tryAcquire()) return this.sem.acquire().then(() => this.writeHeld(batch));
    return this.writeHeld(batch);
  }
  private writeHeld(batch: Batch): Promise<void> {
    let p: Promise<void>;
    try {
      p = this.inner.write(batch);
    } catch (err) {
      this.sem.release();
      return Promise.reject(err);
    }
    return p.then(
      () => this.sem.release(),
      (err: unknown) => {
        this.sem.release();
        throw err;
      },
    );
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface BatchPolicy {
  count: number;
  byte_size: number;
  period: string;
  check: string;
  processors: Processor[];
}

export function policyActive(p: {
  count: number;
  byte_size: number;
  period: string;
  check: string;
}): boolean {
  return p.count > 1 || p.byte_size > 0 || !!p.period || !!p.check.trim();
}

/** Collects messages until count / byte_size / check / period says flush; each write resolves when its batch is written. */
export class BatchingOutput implements Output {
  private pending: { msg: Message; done: (err?: Error) => void }[] = [];
  private bytes = 0;
  private timer?: NodeJS.Timeout;
  private readonly periodMs: number;
  private readonly check?: (b: Batch, i: number) => boolean;

  constructor(
    private readonly inner: Output,
    private readonly policy: BatchPolicy,
  ) {
    this.periodMs = policy.period ? parseDuration(policy.period) : 0;
    this.check = policy.check.trim() ? checker(policy.check) : undefined;
  }

  get maxInFlight(): number {
    return this.inner.maxInFlight;
  }
  get maxPending(): number | undefined {
    return this.inner.maxPending;
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  write(batch: Batch): Promise<void> {
    const waits = batch.map(
      (msg) =>
        new Promise<void>((resolve, reject) => {
          this.pending.push({ msg, done: (err) => (err ? reject(err) : resolve()) });
          this.bytes += msg.content.length;
          let full =
            (this.policy.count > 0 && this.pending.length >= this.policy.count) ||
            (this.policy.byte_size > 0 && this.bytes >= this.policy.byte_size);
          if (!full && this.check) {
            try {
              full = this.check([msg], 0);
            } catch {
              full = false;
            }
          }
          if (full) void this.flush();
          else if (this.periodMs && !this.timer)
            this.timer = setTimeout(() => void this.flush(), this.periodMs);
        }),
    );
    return Promise.all(waits).then(() => undefined);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.pending;
    this.pending = [];
    this.bytes = 0;
    if (!items.length) return;
    try {
      const batches = await runProcessors(this.policy.processors, [items.map((i) => i.msg)]);
      await Promise.all(batches.map((b) => this.inner.write(b)));
      for (const i of items) i.done();
    } catch (err) {
      for (const i of items) i.done(err as Error);
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await this.inner.close();
    await Promise.all(this.policy.processors.map((p) => p.close?.()));
  }
}

/** Output processors and per-output metrics. */
export class InstrumentedOutput implements Output {
  constructor(
    private readonly inner: Output,
    private readonly procs: Processor[],
    private readonly counter: ComponentCounter,
    /** Reports a failed write (the registry keeps the last error for telemetry). */
    private readonly onError?: (message: string) => void,
  ) {}

  get maxInFlight(): number {
    return this.inner.maxInFlight;
  }
  get maxPending(): number | undefined {
    return this.inner.maxPending;
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  write(batch: Batch): Promise<void> {
    this.counter.received += batch.length;
    if (!this.procs.length) return this.writeAll(batch, [batch]);
    return runProcessors(this.procs, [batch]).then((batches) => this.writeAll(batch, batches));
  }

  /** Writes the processed batches (promise callbacks: this runs once per message). */
  private writeAll(batch: Batch, batches: Batch[]): Promise<void> {
    const t0 = performance.now();
    let p: Promise<unknown>;
    try {
      p =
        batches.length === 1
          ? this.inner.write(batches[0])
          : Promise.all(batches.map((b) => this.inner.write(b)));
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.then(
      () => {
        this.counter.observe(performance.now() - t0);
        this.counter.sent +=
          batches.length === 1 ? batches[0].length : batches.reduce((n, b) => n + b.length, 0);
      },
      (err: unknown) => {
        this.counter.observe(performance.now() - t0);
        this.counter.errors += batch.length;
        this.onError?.(err instanceof Error ? err.message : String(err));
        throw err;
      },
    );
  }

  async close(): Promise<void> {
    await this.inner.close();
    await Promise.all(this.procs.map((p) => p.close?.()));
  }
}
