// Small async primitives used across the engine: a counting semaphore, a bounded queue with
// blocking push/pop, and (from lib/model, shared with the rest of reef) an abortable sleep.
export { sleep } from "../../model/sleep";

export class Semaphore {
  private waiters: (() => void)[] = [];
  constructor(private available: number) {}

  acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  tryAcquire(): boolean {
    if (this.available > 0) {
      this.available--;
      return true;
    }
    return false;
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }
}

/** FIFO with an optional capacity: `push` waits while full, `pop` waits while empty, `close` ends it. */
export class AsyncQueue<T> {
  private items: T[] = [];
  private head = 0;
  private takers: ((v: T | undefined) => void)[] = [];
  private pushers: (() => void)[] = [];
  private closed = false;

  constructor(private readonly capacity = Infinity) {}

  get size(): number {
    return this.items.length - this.head;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Adds without waiting (even past capacity); false when closed. */
  offer(item: T): boolean {
    if (this.closed) return false;
    const taker = this.takers.shift();
    if (taker) taker(item);
    else this.items.push(item);
    return true;
  }

  /** Puts an item back at the front (a replayed message goes first). */
  unshift(item: T): void {
    const taker = this.takers.shift();
    if (taker) taker(item);
    else if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  async push(item: T): Promise<boolean> {
    while (!this.closed && this.size >= this.capacity) await new Promise<void>((r) => this.pushers.push(r));
    return this.offer(item);
  }

  /** The next item, or undefined once closed and drained. */
  pop(): Promise<T | undefined> {
    if (this.size > 0) {
      const item = this.items[this.head];
      this.items[this.head++] = undefined as T;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.pushers.shift()?.();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /** No more items: waiting pops resolve undefined once the queue is drained. */
  close(): void {
    this.closed = true;
    for (const t of this.takers.splice(0)) t(undefined);
    for (const p of this.pushers.splice(0)) p();
  }

  /** The next item when one is queued now, else undefined. */
  tryPop(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.pushers.shift()?.();
    return item;
  }

  /** Removes and returns everything queued. */
  drain(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}

/** Rejects with a timeout error when `p` takes longer than ms. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms}ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
