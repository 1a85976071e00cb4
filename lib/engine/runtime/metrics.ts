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

/** The last error a component met, for telemetry (heartbeats carry it). */
export interface ComponentError {
  message: string;
  /** The component's label, else its YAML path. */
  component: string;
  at: string;
}

/** A JetStream consumer's backlog, as its input reports it. */
export interface ConsumerLag {
  pending: number;
  ackPending: number;
}

export class MetricsRegistry {
  private readonly counters = new Map<string, ComponentCounter>();
  private readonly kinds = new Map<string, { kind: string; label: string; path: string }>();
  lastError: ComponentError | null = null;
  /** Set by a JetStream consumer input: reads its consumer's backlog. */
  lagProbe?: () => Promise<ConsumerLag>;

  recordError(component: string, message: string): void {
    this.lastError = { message, component, at: new Date().toISOString() };
  }

  /** The component's kind and path, by the name its counter is kept under. */
  info(name: string): { kind: string; label: string; path: string } | undefined {
    return this.kinds.get(name);
  }

  /** The counter of one component, by its label (or YAML path when it has none). */
  get(
    name: string,
    info?: { kind: "input" | "processor" | "output"; label: string; path: string },
  ): ComponentCounter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new ComponentCounter()));
    if (info && !this.kinds.has(name)) this.kinds.set(name, info);
    return c;
  }

  snapshot(): Record<string, ComponentMetrics> {
    const out: Record<string, ComponentMetrics> = {};
    for (const [k, c] of this.counters) out[k] = c.snapshot();
    return out;
  }

  /** Prometheus text exposition, with Benthos's metric names (input_received, processor_sent, …). */
  prometheus(): string {
    const series = new Map<string, { type: string; lines: string[] }>();
    const add = (name: string, type: string, labels: string, value: number) => {
      let s = series.get(name);
      if (!s) series.set(name, (s = { type, lines: [] }));
      s.lines.push(`${name}{${labels}} ${value}`);
    };
    for (const [name, c] of this.counters) {
      const info = this.kinds.get(name);
      if (!info) continue;
      const m = c.snapshot();
      const labels = `label="${esc(info.label)}",path="root.${esc(info.path)}"`;
      const k = info.kind;
      add(`${k}_received`, "counter", labels, m.received);
      if (k !== "input") add(`${k}_sent`, "counter", labels, m.sent);
      add(`${k}_error`, "counter", labels, m.errors);
      if (k !== "input") {
        const base = `${k}_latency_ns`;
        add(base, "summary", `${labels},quantile="0.5"`, Math.round(m.latencyMs.p50 * 1e6));
        add(base, "summary", `${labels},quantile="0.99"`, Math.round(m.latencyMs.p99 * 1e6));
        add(`${base}_count`, "summary", labels, m.latencyMs.count);
      }
    }
    let out = "";
    for (const [name, s] of series) {
      if (!name.endsWith("_count")) out += `# TYPE ${name} ${s.type}\n`;
      out += s.lines.join("\n") + "\n";
    }
    return out;
  }
}

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}
