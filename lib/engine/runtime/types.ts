// The component interfaces every input, processor and output implements.
import type { Batch, Transaction } from "../message";

export interface Input {
  connect(): Promise<void>;
  /** The next transaction; null once the input has ended (finite inputs) or was stopped. */
  read(): Promise<Transaction | null>;
  /** A transaction that is ready now, without waiting (undefined when none is); a fast path only. */
  tryRead?(): Transaction | undefined;
  /** Stop producing new transactions; those already read can still be acked. */
  stop(): Promise<void>;
  /** Release everything (connections, servers). Called after in-flight work drained. */
  close(): Promise<void>;
}

export interface Processor {
  /** One batch in, zero or more batches out; failures are flagged on messages, not thrown. */
  process(batch: Batch): Promise<Batch[]>;
  close?(): Promise<void>;
}

export interface Output {
  connect(): Promise<void>;
  /** Resolves once the sink accepted every message of the batch; rejects otherwise. */
  write(batch: Batch): Promise<void>;
  close(): Promise<void>;
  /** How many writes may run at once. */
  readonly maxInFlight: number;
}
