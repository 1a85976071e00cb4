// In-process per-component counters and a latency reservoir, readable through RunningStream.metrics().

export interface ComponentMetrics {
  /** Messages that reached the component. */
  received: number;
  /** Messages the component passed on (processors) or delivered (outputs). */
  sent: number;
  /** Failed messages (processor errors, failed writes, nacks at inputs). */
  errors: number;
  /** Processing / write latency in milliseconds. */
  latencyMs: { count: number; mean: number; p50: number; p99: number; max: number };
}

const RESERVOIR = 4096;

export class ComponentCounter {
  received = 0;
  sent = 0;
  errors = 0;
  private count = 0;
  private sum = 0;
  private max = 0;
  private samples: number[] = [];

  observe(ms: number): void {
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
    if (this.samples.length < RESERVOIR) this.samples.push(ms);
    else {
      // Reservoir sampling keeps percentiles representative over long runs.
      const i = Math.floor(Math.random() * this.count);
      if (i < RESERVOIR) this.samples[i] = ms;
    }
  }

  snapshot(): ComponentMetrics {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const pct = (p: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
    return {
      received: this.received,
      sent: this.sent,
      errors: this.errors,
      latencyMs: {
        count: this.count,
        mean: this.count ? this.sum / this.count : 0,
        p50: pct(0.5),
        p99: pct(0.99),
        max: this.max,
      },
    };
  }
}

export class MetricsRegistry {
  private readonly counters = new Map<string, ComponentCounter>();

  get(name: string): ComponentCounter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new ComponentCounter()));
    return c;
  }

  snapshot(): Record<string, ComponentMetrics> {
    const out: Record<string, ComponentMetrics> = {};
    for (const [k, c] of this.counters) out[k] = c.snapshot();
    return out;
  }
}
