// The autoscaling scenario of issue 15, shared by the end-to-end tests (process, docker) and the
// bench: a JetStream backlog, a pipeline whose replicas share one durable consumer and sleep per
// message, the real bridge (heartbeat-driven converges, in-process invoker) and delivery counting.
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Bridge, type BridgeConfig } from "../../lib/bridge";
import type { ConvergeDeps } from "../../lib/converge";
import type { Executor } from "../../lib/executors";
import { InProcessInvoker } from "../../lib/invoke";
import type { Log } from "../../lib/model";
import type { Store } from "../../lib/store";

/** The issue's numbers: a 20,000-message backlog, 1..4 replicas, 2,000 pending per replica, 10 s cooldown. */
export const ISSUE_AUTOSCALE = { min: 1, max: 4, targetPending: 2_000, cooldown: "10s" };
export const ISSUE_BACKLOG = 20_000;

export interface SleepConfigOptions {
  subject: string;
  out: string;
  /** The durable consumer the replicas share. */
  durable: string;
  /** Per message (default 20ms). */
  sleep?: string;
  /** Pipeline threads per replica (set, so throughput does not follow the machine's core count). */
  threads?: number;
  /** The consumer's ack wait (default 30s, as Benthos): when a message no replica acked nor nak'ed comes back. */
  ackWait?: string;
  maxAckPending?: number;
  natsUrl?: string;
}

/** nats_jetstream (durable) → sleep → nats_jetstream on `out`, each message `{"i": n}` passed through. */
export function sleepConfig(o: SleepConfigOptions): string {
  const url = o.natsUrl ?? "${NATS_URL}";
  return `input:
  nats_jetstream:
    urls: [ "${url}" ]
    subject: ${o.subject}
    durable: ${o.durable}
    deliver: all
    ack_wait: ${o.ackWait ?? "30s"}
    max_ack_pending: ${o.maxAckPending ?? 64}
pipeline:
  threads: ${o.threads ?? 4}
  processors:
    - sleep:
        duration: ${o.sleep ?? "20ms"}
output:
  nats_jetstream:
    urls: [ "${url}" ]
    subject: ${o.out}
`;
}

/** Publishes messages `{"i": from}` … `{"i": from + count - 1}` to the stream on `subject`, 200 at a time. */
export async function publishBacklog(
  nc: NatsConnection,
  subject: string,
  from: number,
  count: number,
): Promise<void> {
  const js = jetstream(nc);
  for (let i = from; i < from + count; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, from + count - i) }, (_, k) =>
        js.publish(subject, JSON.stringify({ i: i + k })),
      ),
    );
  }
}

/**
 * Counts every delivery of every message the pipeline wrote: its output is `nats_jetstream` into a
 * stream of its own, read here with an ordered consumer (no delivery is lost to a slow reader, as
 * core NATS may drop them).
 */
export class Deliveries {
  private readonly counts = new Map<number, number>();
  total = 0;
  private readonly abort = new AbortController();

  private constructor() {}

  /** Creates the output stream on `subject` and starts counting what arrives in it. */
  static async start(nc: NatsConnection, stream: string, subject: string): Promise<Deliveries> {
    const d = new Deliveries();
    const js = jetstream(nc);
    await (await js.jetstreamManager()).streams.add({ name: stream, subjects: [subject] });
    const consumer = await js.consumers.get(stream);
    const messages = await consumer.consume({ max_messages: 1_000 });
    d.abort.signal.addEventListener("abort", () => void messages.close().catch(() => undefined), {
      once: true,
    });
    void (async () => {
      for await (const m of messages) {
        const i = (m.json() as { i: number }).i;
        d.counts.set(i, (d.counts.get(i) ?? 0) + 1);
        d.total++;
      }
    })().catch(() => undefined);
    return d;
  }

  /** Distinct messages delivered. */
  get unique(): number {
    return this.counts.size;
  }

  /** Deliveries beyond the first of a message. */
  get duplicates(): number {
    return this.total - this.counts.size;
  }

  /** How many of [from, from + count) were delivered at least once. */
  delivered(from: number, count: number): number {
    let n = 0;
    for (let i = from; i < from + count; i++) if (this.counts.has(i)) n++;
    return n;
  }

  /** Every message of [from, from + count) delivered at least once? */
  all(from: number, count: number): boolean {
    return this.delivered(from, count) === count;
  }

  stop(): void {
    this.abort.abort();
  }
}

/** Samples a number (e.g. running replicas) every `everyMs` and keeps the largest seen. */
export class Sampler {
  max = 0;
  last = 0;
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly read: () => Promise<number>,
    everyMs = 250,
  ) {
    this.timer = setInterval(() => void this.sample(), everyMs);
  }

  async sample(): Promise<number> {
    if (this.busy) return this.last;
    this.busy = true;
    try {
      this.last = await this.read();
      this.max = Math.max(this.max, this.last);
    } catch {
      // a failed list is no sample
    } finally {
      this.busy = false;
    }
    return this.last;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export const quietLog: Log = { info() {}, warn() {}, error: (m, ...f) => console.error(m, ...f) };

/** The real bridge on this store, invoking converge in this process with this executor. */
export function startBridge(
  store: Store,
  executor: Executor,
  heartbeatIntervalMs: number,
  log: Log = quietLog,
): Bridge {
  const deps: ConvergeDeps = { store, executor, heartbeatIntervalMs, log };
  const config: BridgeConfig = {
    stage: "test",
    region: "us-east-1",
    invoker: "in-process",
    concurrency: 4,
    durable: `autoscale-${Math.random().toString(16).slice(2, 8)}`,
    ackWaitMs: 30_000,
    maxAckPending: 1_000,
    maxAttempts: 3,
    retryBaseMs: 100,
    retryMaxMs: 1_000,
    convergeTimeoutMs: 60_000,
    reconcileTimeoutMs: 60_000,
    resyncIntervalMs: 0,
    drainTimeoutMs: 10_000,
  };
  const bridge = new Bridge({
    store,
    invoker: new InProcessInvoker(async () => deps),
    config,
    log,
    executorKind: executor.kind,
    heartbeatIntervalMs,
  });
  bridge.start();
  return bridge;
}

/** Running executions of a pipeline, as the executor lists them. */
export async function running(executor: Executor, id: string): Promise<number> {
  return (await executor.list(id)).filter((e) => e.state === "running").length;
}
