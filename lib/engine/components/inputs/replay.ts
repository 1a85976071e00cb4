// Wrappers around an input: `auto_replay_nacks` (a nacked batch is read again, from a copy taken
// before processing), input-level `processors`, and metrics.
import { copyBatch, type Batch, type Transaction } from "../../message";
import { sleep } from "../../runtime/async";
import type { ComponentCounter } from "../../runtime/metrics";
import type { Input, Processor } from "../../runtime/types";
import { runProcessors } from "../processors/run";

export class ReplayingInput implements Input {
  private replays: Transaction[] = [];
  private wake?: () => void;
  private pendingInner?: Promise<Transaction | null>;
  private outstanding = 0;
  private readChain: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private innerDone = false;

  constructor(
    private readonly inner: Input,
    private readonly signal: AbortSignal,
  ) {}

  connect(): Promise<void> {
    return this.inner.connect();
  }

  /** Reads are serialised: concurrent callers would otherwise share one pending inner read. */
  read(): Promise<Transaction | null> {
    const p = this.readChain.then(() => this.readOne());
    this.readChain = p.catch(() => undefined);
    return p;
  }

  tryRead(): Transaction | undefined {
    if (this.replays.length) return this.replays.shift();
    if (this.pendingInner || this.stopped || !this.inner.tryRead) return undefined;
    const tx = this.inner.tryRead();
    if (!tx) return undefined;
    this.outstanding++;
    return this.track(tx, copyBatch(tx.batch), 0);
  }

  private async readOne(): Promise<Transaction | null> {
    for (;;) {
      const r = this.replays.shift();
      if (r) return r;
      if (this.stopped) return null;
      if (this.innerDone) {
        if (this.outstanding === 0) return null;
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      this.pendingInner ??= this.inner.read();
      const woke = new Promise<"wake">((resolve) => (this.wake = () => resolve("wake")));
      const got = await Promise.race([this.pendingInner, woke]);
      if (got === "wake") continue;
      this.pendingInner = undefined;
      if (got === null) {
        this.innerDone = true;
        continue;
      }
      this.outstanding++;
      return this.track(got, copyBatch(got.batch), 0);
    }
  }

  private track(tx: Transaction, original: Batch, attempt: number): Transaction {
    return {
      batch: tx.batch,
      // Promise callbacks, not an async function, on the success path: it runs once per message.
      ack: (err) => {
        if (!err || this.stopped) {
          this.outstanding--;
          return tx.ack(err).then(() => this.notify());
        }
        return this.replay(tx, original, attempt);
      },
    };
  }

  private async replay(tx: Transaction, original: Batch, attempt: number): Promise<void> {
    // Back off a little on repeated failures so a failing output is not hammered.
    await sleep(Math.min(1000, 10 * 2 ** attempt), this.signal);
    this.replays.push(this.track({ batch: copyBatch(original), ack: tx.ack }, original, attempt + 1));
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.notify();
    await this.inner.stop();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Applies input-level processors and counts what the input produced. */
export class InstrumentedInput implements Input {
  private readChain: Promise<unknown> = Promise.resolve();
  private reading = 0;
  constructor(
    private readonly inner: Input,
    private readonly procs: Processor[],
    private readonly counter: ComponentCounter,
  ) {}

  connect(): Promise<void> {
    return this.inner.connect();
  }

  tryRead(): Transaction | undefined {
    if (this.procs.length || this.reading || !this.inner.tryRead) return undefined;
    const tx = this.inner.tryRead();
    return tx ? this.wrap(tx) : undefined;
  }

  private wrap(tx: Transaction): Transaction {
    this.counter.received += tx.batch.length;
    return {
      batch: tx.batch,
      ack: (err) => {
        if (err) this.counter.errors += tx.batch.length;
        else this.counter.sent += tx.batch.length;
        return tx.ack(err);
      },
    };
  }

  /** Serialised: inputs may keep per-read state (current file, pending iterator step). */
  read(): Promise<Transaction | null> {
    this.reading++;
    const p = this.readChain.then(() => this.readOne());
    this.readChain = p.catch(() => undefined).finally(() => this.reading--);
    return p;
  }

  private async readOne(): Promise<Transaction | null> {
    for (;;) {
      const tx = await this.inner.read();
      if (!tx) return null;
      const wrapped = this.wrap(tx);
      if (!this.procs.length) return wrapped;
      const out = (await runProcessors(this.procs, [tx.batch])).flat();
      if (!out.length) {
        await wrapped.ack();
        continue;
      }
      return { batch: out, ack: wrapped.ack };
    }
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  async close(): Promise<void> {
    await this.inner.close();
    await Promise.all(this.procs.map((p) => p.close?.()));
  }
}
