// The Benthos message model: raw bytes (or a structured value, serialised on demand) plus metadata,
// an error flag set by failed processors (read by `catch`/`try`/`errored()`), grouped in batches.
import { parseJson, toBytes } from "../bloblang";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array();

/** Per-request state shared by every message derived from one `http_server` request. */
export interface SyncResponseContext {
  responses: Message[][];
}

export class Message {
  metadata: Record<string, unknown>;
  error: Error | null = null;
  /** Set on messages read by an input with sync responses (http_server). */
  syncResponse?: SyncResponseContext;
  private bytes?: Uint8Array;
  private value?: unknown;
  private hasValue = false;

  constructor(content?: Uint8Array | string, metadata: Record<string, unknown> = {}) {
    this.bytes = typeof content === "string" ? encoder.encode(content) : (content ?? new Uint8Array());
    this.metadata = metadata;
  }

  static fromValue(value: unknown, metadata: Record<string, unknown> = {}): Message {
    const m = new Message(undefined, metadata);
    m.setValue(value);
    return m;
  }

  get content(): Uint8Array {
    if (this.bytes === undefined) this.bytes = toBytes(this.value);
    return this.bytes;
  }

  get text(): string {
    return decoder.decode(this.content);
  }

  /** The content parsed as JSON (cached); throws when it is not JSON. */
  get json(): unknown {
    if (!this.hasValue) {
      this.value = parseJson(this.content);
      this.hasValue = true;
    }
    return this.value;
  }

  /** The structured value when one is known without parsing (after a mapping), else undefined. */
  get knownValue(): { value: unknown } | undefined {
    return this.hasValue ? { value: this.value } : undefined;
  }

  setContent(content: Uint8Array | string): void {
    this.bytes = typeof content === "string" ? encoder.encode(content) : content;
    this.value = undefined;
    this.hasValue = false;
  }

  setValue(value: unknown): void {
    this.value = value;
    this.hasValue = true;
    this.bytes = undefined;
  }

  /** A deep-enough copy: metadata and error are copied; content bytes are immutable by convention. */
  copy(): Message {
    const m = new Message(EMPTY, { ...this.metadata });
    m.bytes = this.bytes;
    m.value = this.hasValue ? cloneValue(this.value) : undefined;
    m.hasValue = this.hasValue;
    m.error = this.error;
    m.syncResponse = this.syncResponse;
    return m;
  }
}

/** Copies arrays and plain objects; other objects (bytes, Bloblang timestamps) are immutable and shared. */
export function cloneValue(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(cloneValue);
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = cloneValue(x);
  return out;
}

export type Batch = Message[];

/** A batch read from an input and the callback that settles it at the source. */
export interface Transaction {
  batch: Batch;
  /** Settles the source: no error = delivered (ack), an error = not delivered (nack / replay). */
  ack(err?: Error): Promise<void>;
}

export function copyBatch(batch: Batch): Batch {
  return batch.map((m) => m.copy());
}
