// `buffer: memory`: input messages are acked once held in memory (up to `limit` bytes), decoupling
// the input from the pipeline; a nacked batch goes back to the front.
import { copyBatch, type Batch, type Transaction } from "../message";
import { AsyncQueue } from "./async";
import type { Input } from "./types";

export class MemoryBuffer implements Input {
  private readonly queue = new AsyncQueue<Batch>();
  private used = 0;
  private spaceWaiters: (() => void)[] = [];
  private pump?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly inner: Input,
    private readonly limit: number,
  ) {}

  async connect(): Promise<void> {
    await this.inner.connect();
    this.pump = (async () => {
      for (;;) {
        const tx = await this.inner.read();
        if (!tx) break;
        const size = sizeOf(tx.batch);
        while (!this.stopping && this.used > 0 && this.used + size > this.limit)
          await new Promise<void>((r) => this.spaceWaiters.push(r));
        if (this.stopping) {
          // Not taken into the buffer: the source keeps it (nack) for redelivery.
          await tx.ack(new Error("stream stopping"));
          break;
        }
        this.used += size;
        this.queue.offer(copyBatch(tx.batch));
        await tx.ack();
      }
      this.queue.close();
    })();
  }

  async read(): Promise<Transaction | null> {
    const batch = await this.queue.pop();
    if (!batch) return null;
    const size = sizeOf(batch);
    const original = copyBatch(batch);
    return {
      batch,
      ack: async (err) => {
        if (err) {
          this.queue.unshift(original);
          return;
        }
        this.used -= size;
        for (const w of this.spaceWaiters.splice(0)) w();
      },
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const w of this.spaceWaiters.splice(0)) w();
    await this.inner.stop();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function sizeOf(b: Batch): number {
  return b.reduce((n, m) => n + m.content.length, 0);
}
