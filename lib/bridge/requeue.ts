// Converging a pipeline again after the delay its last converge asked for (`requeueAfterMs`, like
// controller-runtime's RequeueAfter): while executions start or stop, the bridge looks again soon,
// instead of leaving the status `pending` until the next reconcile. One timer per pipeline; the
// delays of one pending stretch grow (×1.5) up to a cap, and a stretch that never ends is left to
// the reconcile after a bound.

export interface RequeueOptions {
  /** The longest delay between two looks at one pipeline (the asked delay when that is longer). */
  maxDelayMs: number;
  /** How long one pipeline may keep asking before the bridge stops (the reconcile still covers it). */
  giveUpAfterMs: number;
  /** Converges the pipeline again (through the per-pipeline queue). */
  fire(key: string): void;
  /** Called once when a pipeline's stretch hits `giveUpAfterMs`. */
  onGiveUp?(key: string, pendingForMs: number): void;
  now?: () => number;
}

interface Stretch {
  since: number;
  count: number;
  timer?: NodeJS.Timeout;
}

export class Requeues {
  private readonly stretches = new Map<string, Stretch>();
  private stopped = false;

  constructor(private readonly opts: RequeueOptions) {}

  /** Pipelines with a look scheduled. */
  get size(): number {
    return this.stretches.size;
  }

  /**
   * A converge of `key` asked to be called again after `afterMs`. `fresh`: it handled a change (not
   * a requeue), so a new stretch begins. An earlier timer of the pipeline is replaced.
   */
  schedule(key: string, afterMs: number, fresh: boolean): void {
    if (this.stopped) return;
    const now = (this.opts.now ?? Date.now)();
    const known = this.stretches.get(key);
    if (known) clearTimeout(known.timer);
    const stretch: Stretch = known && !fresh ? known : { since: now, count: 0 };
    if (now - stretch.since >= this.opts.giveUpAfterMs) {
      this.stretches.delete(key);
      this.opts.onGiveUp?.(key, now - stretch.since);
      return;
    }
    const delay = Math.min(afterMs * 1.5 ** stretch.count, Math.max(afterMs, this.opts.maxDelayMs));
    stretch.count++;
    stretch.timer = setTimeout(() => this.opts.fire(key), delay);
    stretch.timer.unref();
    this.stretches.set(key, stretch);
  }

  /** A converge of `key` asked for nothing more: its stretch ends. */
  settled(key: string): void {
    clearTimeout(this.stretches.get(key)?.timer);
    this.stretches.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.stretches.values()) clearTimeout(s.timer);
    this.stretches.clear();
  }
}
