// Base for push-style inputs (subscriptions, servers): transactions are queued as they arrive.
import type { Transaction } from "../../message";
import { AsyncQueue } from "../../runtime/async";
import type { Input } from "../../runtime/types";

export abstract class QueueInput implements Input {
  protected readonly queue: AsyncQueue<Transaction>;

  constructor(capacity = Infinity) {
    this.queue = new AsyncQueue<Transaction>(capacity);
  }

  abstract connect(): Promise<void>;

  async read(): Promise<Transaction | null> {
    return (await this.queue.pop()) ?? null;
  }

  tryRead(): Transaction | undefined {
    return this.queue.tryPop();
  }

  async stop(): Promise<void> {
    this.queue.close();
  }

  async close(): Promise<void> {
    this.queue.close();
  }
}
