// Per-pipeline serialisation with coalescing, and bounded concurrency across pipelines.
// converge is level-triggered, so changes that queue up behind an in-flight invocation for the same
// key collapse into ONE more invocation (with the newest event); their messages are acked when it is done.

/** What the dispatcher needs of a JetStream message. */
export interface Ticket {
  ack(): void;
  nak(delayMs?: number): void;
  working(): void;
}

interface Waiting<E> {
  event: E;
  tickets: Ticket[];
}

export interface DispatcherOptions<E> {
  concurrency: number;
  /** Handles one (coalesced) change. Resolves once handled (including "recorded as failed"). */
  handle(key: string, event: E): Promise<void>;
  /** Called when `handle` itself threw: the messages are nak'ed for redelivery. */
  onError?(key: string, err: unknown): void;
  /** How often held messages are kept alive (`working()`); a third of the consumer's ack wait. */
  keepAliveMs: number;
  /** Which event a waiting one and a newer one of the same key coalesce into (default: the newer). */
  coalesce?(waiting: E, newer: E): E;
}

export class Dispatcher<E> {
  private readonly waiting = new Map<string, Waiting<E>>();
  /** Keys with something waiting and nothing in flight, oldest first. */
  private readonly ready: string[] = [];
  private readonly inFlight = new Map<string, { tickets: Ticket[]; done: Promise<void> }>();
  private readonly keepAlive: NodeJS.Timeout;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: DispatcherOptions<E>) {
    this.keepAlive = setInterval(() => this.touchAll(), opts.keepAliveMs);
    this.keepAlive.unref();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Queues a change of `key`; `ticket` is acked once a converge that started after it is done. */
  add(key: string, event: E, ticket: Ticket): void {
    if (this.stopped) {
      ticket.nak();
      return;
    }
    const w = this.waiting.get(key);
    if (w) {
      // converge reads the current definition anyway: which event is kept only matters for the record
      w.event = this.opts.coalesce ? this.opts.coalesce(w.event, event) : event;
      w.tickets.push(ticket);
      return;
    }
    this.waiting.set(key, { event, tickets: [ticket] });
    if (!this.inFlight.has(key)) this.ready.push(key);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.inFlight.size < this.opts.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const w = this.waiting.get(key)!;
      this.waiting.delete(key);
      const done = this.run(key, w);
      this.inFlight.set(key, { tickets: w.tickets, done });
    }
    if (this.inFlight.size === 0 && (this.waiting.size === 0 || this.stopped)) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async run(key: string, w: Waiting<E>): Promise<void> {
    try {
      await this.opts.handle(key, w.event);
      for (const t of w.tickets) t.ack();
    } catch (err) {
      this.opts.onError?.(key, err);
      for (const t of w.tickets) t.nak(1_000);
    } finally {
      this.inFlight.delete(key);
      if (this.waiting.has(key)) this.ready.push(key);
      this.pump();
    }
  }

  private touchAll(): void {
    for (const f of this.inFlight.values()) for (const t of f.tickets) t.working();
    for (const w of this.waiting.values()) for (const t of w.tickets) t.working();
  }

  /** Resolves once `key` has nothing in flight or waiting. */
  async settled(key: string): Promise<void> {
    for (;;) {
      const flight = this.inFlight.get(key);
      if (flight) await flight.done;
      else if (this.waiting.has(key) && !this.stopped) await new Promise((r) => setTimeout(r, 20));
      else return;
    }
  }

  /** Resolves when nothing is in flight or waiting. */
  idle(): Promise<void> {
    if (this.inFlight.size === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Starts nothing new; waits (bounded) for in-flight invocations, then hands every message not
   * handled back to the server (nak) for redelivery to the next bridge. True if all finished in time.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    clearInterval(this.keepAlive);
    for (const w of this.waiting.values()) for (const t of w.tickets) t.nak();
    this.waiting.clear();
    this.ready.length = 0;
    const all = Promise.all([...this.inFlight.values()].map((f) => f.done)).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const finished = await Promise.race([all, timeout]);
    clearTimeout(timer);
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    return finished;
  }
}
