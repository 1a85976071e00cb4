// `broker` input: reads every child input (each `copies` times) into one stream.
import type { Transaction } from "../../message";
import type { Input } from "../../runtime/types";
import { QueueInput } from "./queue";

class BrokerInput extends QueueInput {
  private loops: Promise<void>[] = [];
  constructor(private readonly children: Input[]) {
    super(children.length);
  }

  async connect(): Promise<void> {
    await Promise.all(this.children.map((c) => c.connect()));
    let open = this.children.length;
    this.loops = this.children.map(async (c) => {
      for (;;) {
        const tx: Transaction | null = await c.read();
        if (!tx || !(await this.queue.push(tx))) break;
      }
      if (--open === 0) this.queue.close();
    });
  }

  override async read(): Promise<Transaction | null> {
    return super.read();
  }

  override async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => c.stop()));
    await super.stop();
  }

  override async close(): Promise<void> {
    await Promise.all(this.children.map((c) => c.close()));
    await super.close();
  }
}

export const brokerInput = (children: Input[]): Input => new BrokerInput(children);
