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
  /**
   * The same as `process`, for a processor that never waits: set, the stream runs it without a
   * promise (a pipeline of such processors handles a message in one synchronous step).
   */
  processSync?(batch: Batch): Batch[];
  close?(): Promise<void>;
}

export interface Output {
  connect(): Promise<void>;
  /** Resolves once the sink accepted every message of the batch; rejects otherwise. */
  write(batch: Batch): Promise<void>;
  close(): Promise<void>;
  /** How many writes may run at once. */
  readonly maxInFlight: number;
  /** Set when `write` enforces maxInFlight itself (then no LimitedOutput wraps it). */
  readonly limitsItself?: boolean;
  /**
   * How many unacknowledged transactions the stream may keep in flight for this output (default:
   * maxInFlight plus one per thread, at least 64). Past it, reading stops (backpressure).
   */
  readonly maxPending?: number;
}
