// One timer for many periodic callbacks (the heartbeats of a host's streams): a host with a
// thousand streams keeps one interval, not a thousand.
export class SharedTicker {
  private readonly ticks = new Set<() => void>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly intervalMs: number) {}

  /** Calls `tick` every interval from now on; returns the undo. */
  add(tick: () => void): () => void {
    this.ticks.add(tick);
    if (!this.timer) {
      this.timer = setInterval(() => {
        for (const t of this.ticks) t();
      }, this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.ticks.delete(tick);
      if (this.ticks.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
