// NATS inputs: `nats` (core subscription, optional queue group), `nats_jetstream` (pull consumer,
// durable or ephemeral, acked after delivery), `nats_kv` (bucket watcher).
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type Consumer,
  type JsMsg,
} from "@nats-io/jetstream";
import { Kvm, type KvWatchEntry } from "@nats-io/kv";
import { nanos, type NatsConnection, type QueuedIterator, type Subscription } from "@nats-io/transport-node";
import { parseDuration } from "../../duration";
import { Message, type Transaction } from "../../message";
import type { BuildContext } from "../../runtime/context";
import { headersToMeta, pauseReading, type NatsComponentConf } from "../../runtime/nats";
import { sleep } from "../../runtime/async";
import type { Input } from "../../runtime/types";
import { QueueInput } from "./queue";

const ACK = new TextEncoder().encode("+ACK");
const RESOLVED = Promise.resolve();

/** Queued messages at which a core NATS input stops reading its socket, and at which it resumes. */
const READ_PAUSE_AT = 1024;
const READ_RESUME_AT = 256;

class NatsInput extends QueueInput {
  private sub?: Subscription;
  private nc?: NatsConnection;
  private dropped = 0;
  private paused = false;
  constructor(
    private readonly conf: NatsComponentConf & {
      subject: string;
      queue?: string;
      send_ack?: boolean;
      prefetch_count: number;
    },
    private readonly ctx: BuildContext,
  ) {
    super();
  }

  async connect(): Promise<void> {
    // A connection of its own: pausing its socket (backpressure) must not hold up the PONGs and
    // replies that outputs and other components wait for on a shared one.
    const nc = await this.ctx.nats.get(this.conf, `input:${this.conf.subject}:${this.conf.queue ?? ""}`);
    this.nc = nc;
    this.sub = nc.subscribe(this.conf.subject, {
      queue: this.conf.queue || undefined,
      callback: (err, m) => {
        if (err) {
          this.ctx.logger.error(`nats subscription error: ${err.message}`);
          return;
        }
        // Core NATS cannot be slowed down: past prefetch_count queued messages, new ones are dropped
        // (a slow consumer, as the Go client would report) rather than growing memory without bound.
        if (this.queue.size >= this.conf.prefetch_count) {
          if (this.dropped++ % 10_000 === 0)
            this.ctx.logger.warn(
              `nats: slow consumer on ${this.conf.subject}: ${this.dropped} messages dropped`,
            );
          return;
        }
        const meta: Record<string, unknown> = { nats_subject: m.subject };
        if (m.reply) meta.nats_reply_subject = m.reply;
        headersToMeta(m.headers, meta);
        // Core NATS has no acknowledgement: a nack is replayed in process (auto_replay_nacks). With
        // send_ack, a message that carries a reply subject gets "+ACK" once delivered (as Benthos).
        const reply = this.conf.send_ack && m.reply ? m.reply : undefined;
        this.queue.offer({
          batch: [new Message(m.data, meta)],
          ack: (err) => {
            if (!err && reply) nc.publish(reply, ACK);
            return RESOLVED;
          },
        });
        // Backpressure: past the high-water mark the socket stops being read until the pipeline
        // catches up; the server holds the rest (the NATS server's own slow-consumer limits apply).
        // (Not on a connection shared with other streams: prefetch_count bounds the queue there.)
        if (
          !this.paused &&
          this.ctx.nats.ownConnections &&
          this.queue.size >= Math.min(READ_PAUSE_AT, this.conf.prefetch_count)
        )
          this.paused = pauseReading(nc, true);
      },
    });
    await nc.flush();
  }

  private resumeIfDrained(): void {
    if (this.paused && this.queue.size <= READ_RESUME_AT && this.nc) {
      pauseReading(this.nc, false);
      this.paused = false;
    }
  }

  override async read(): Promise<Transaction | null> {
    this.resumeIfDrained();
    return super.read();
  }

  override tryRead(): Transaction | undefined {
    const tx = super.tryRead();
    this.resumeIfDrained();
    return tx;
  }

  override async stop(): Promise<void> {
    this.sub?.unsubscribe();
    if (this.paused && this.nc) pauseReading(this.nc, false);
    await super.stop();
  }
}

interface JetStreamConf extends NatsComponentConf {
  subject?: string;
  queue?: string;
  durable?: string;
  stream?: string;
  bind?: boolean;
  create_stream?: boolean;
  deliver: "all" | "last" | "last_per_subject" | "new";
  ack_wait: string;
  max_ack_pending: number;
}

const DELIVER: Record<JetStreamConf["deliver"], DeliverPolicy> = {
  all: DeliverPolicy.All,
  last: DeliverPolicy.Last,
  last_per_subject: DeliverPolicy.LastPerSubject,
  new: DeliverPolicy.New,
};

class JetStreamInput implements Input {
  private iter?: AsyncIterator<JsMsg>;
  private stopped = false;
  private ephemeral?: { stream: string; name: string; nc: NatsConnection };
  private markStopped!: () => void;
  private readonly stoppedP = new Promise<"stopped">(
    (resolve) => (this.markStopped = () => resolve("stopped")),
  );

  constructor(
    private readonly conf: JetStreamConf,
    private readonly ctx: BuildContext,
  ) {}

  async connect(): Promise<void> {
    const c = this.conf;
    const nc = await this.ctx.nats.get(c);
    const jsm = await jetstreamManager(nc);
    let stream: string;
    if (c.create_stream && c.stream) {
      // create_stream: make the named stream (on the subject) when it does not exist yet.
      const exists = await jsm.streams.info(c.stream).then(
        () => true,
        () => false,
      );
      if (!exists)
        await jsm.streams.add({ name: c.stream, subjects: c.subject ? [c.subject] : [`${c.stream}.>`] });
      stream = c.stream;
    } else stream = c.stream || (await jsm.streams.find(c.subject!));
    // Competing replicas share one durable consumer: `durable`, else the `queue` name.
    const durable = c.durable || c.queue || undefined;
    let name: string;
    if (c.bind) {
      name = durable!;
      await jsm.consumers.info(stream, name);
    } else {
      const cfg = {
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DELIVER[c.deliver],
        ack_wait: nanos(parseDuration(c.ack_wait)),
        max_ack_pending: c.max_ack_pending,
        ...(c.subject ? { filter_subject: c.subject } : {}),
      };
      if (durable) {
        let exists = false;
        try {
          await jsm.consumers.info(stream, durable);
          exists = true;
        } catch {
          exists = false;
        }
        if (exists) {
          // Keep the durable's position; only the mutable settings are updated.
          await jsm.consumers
            .update(stream, durable, { ack_wait: cfg.ack_wait, max_ack_pending: cfg.max_ack_pending })
            .catch(() => undefined);
        } else {
          await jsm.consumers.add(stream, { ...cfg, durable_name: durable });
        }
        name = durable;
      } else {
        const info = await jsm.consumers.add(stream, { ...cfg, inactive_threshold: nanos(30_000) });
        name = info.name;
        this.ephemeral = { stream, name, nc };
      }
    }
    const consumer = await jetstream(nc).consumers.get(stream, name);
    // Telemetry reports the consumer's backlog (one info request per heartbeat, not per message).
    this.ctx.metrics.lagProbe = async () => {
      const info = await jsm.consumers.info(stream, name);
      return { pending: info.num_pending, ackPending: info.num_ack_pending };
    };
    this.iter = this.pull(consumer, Math.min(c.max_ack_pending, 1024), () =>
      jsm.consumers.info(stream, name),
    );
  }

  /**
   * Bounded pulls, one after the other. Each ends when the server ends it (batch full or expired),
   * so at a stop the pull under way is let finish and what it still brings is handed back: no
   * message is left on the wire to wait for the ack wait (a removed replica drains). A pull that
   * fails is tried again (a server restart) unless the consumer or its stream is gone: that fails
   * the input (and the stream, with an error) instead of retrying forever unnoticed.
   */
  private async *pull(
    consumer: Consumer,
    max: number,
    exists: () => Promise<unknown>,
  ): AsyncGenerator<JsMsg> {
    for (let failures = 0; !this.stopped;) {
      try {
        const batch = await consumer.fetch({ max_messages: max, expires: FETCH_EXPIRES_MS });
        for await (const m of batch) {
          failures = 0;
          yield m;
        }
      } catch (err) {
        if (this.stopped) return;
        const gone = await exists().then(
          () => false,
          (e: unknown) => /not found/i.test(String((e as Error)?.message ?? e)),
        );
        if (gone) throw err;
        await sleep(Math.min(2_000, 100 * 2 ** failures++));
      }
    }
  }

  async read(): Promise<Transaction | null> {
    if (this.stopped || !this.iter) return null;
    const next = this.iter.next();
    const r = await Promise.race([next, this.stoppedP]);
    if (r !== "stopped" && r.done && !this.stopped)
      throw new Error("the JetStream consumer ended unexpectedly");
    if (r === "stopped" || r.done || this.stopped) {
      // A message pulled after stop is handed back for redelivery.
      if (r !== "stopped" && !r.done) r.value.nak();
      if (r === "stopped") void next.then((late) => !late.done && late.value.nak()).catch(() => undefined);
      return null;
    }
    const m = r.value;
    const meta: Record<string, unknown> = {
      nats_subject: m.subject,
      nats_sequence_stream: String(m.info.streamSequence),
      nats_sequence_consumer: String(m.info.deliverySequence),
      nats_num_delivered: String(m.info.deliveryCount),
      nats_num_pending: String(m.info.pending),
      nats_domain: m.info.domain,
      nats_timestamp_unix_nano: String(m.info.timestampNanos),
    };
    headersToMeta(m.headers, meta);
    return {
      batch: [new Message(m.data, meta)],
      ack: async (err) => {
        if (err) m.nak();
        else m.ack();
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.markStopped();
    // Messages pulled but not read yet, and what the pull under way still brings, are handed back
    // at once (nak), so another replica takes them now rather than after the ack wait (a replica
    // removed by a scale-down drains: what it finished is acked by the stream's drain).
    if (this.iter) await withinMs(nakRemaining(this.iter), NAK_ON_STOP_MS);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.ephemeral) {
      const { nc, stream, name } = this.ephemeral;
      await jetstreamManager(nc)
        .then((jsm) => jsm.consumers.delete(stream, name))
        .catch(() => undefined);
    }
  }
}

interface KvConf extends NatsComponentConf {
  bucket: string;
  key: string;
  ignore_deletes: boolean;
  include_history: boolean;
  meta_only: boolean;
}

class KvInput implements Input {
  private watcher?: QueuedIterator<KvWatchEntry>;
  private lastRevision = 0;
  private iter?: AsyncIterator<KvWatchEntry>;
  private stopped = false;
  private markStopped!: () => void;
  private readonly stoppedP = new Promise<"stopped">(
    (resolve) => (this.markStopped = () => resolve("stopped")),
  );

  constructor(
    private readonly conf: KvConf,
    private readonly ctx: BuildContext,
  ) {}

  async connect(): Promise<void> {
    await this.watch();
  }

  private async watch(): Promise<void> {
    const nc = await this.ctx.nats.get(this.conf);
    const kv = await new Kvm(nc).open(this.conf.bucket);
    this.watcher = await kv.watch({
      key: this.conf.key,
      ignoreDeletes: this.conf.ignore_deletes,
      include: this.conf.include_history ? "history" : undefined,
      headers_only: this.conf.meta_only,
      // A resumed watcher continues after the last entry it delivered.
      ...(this.lastRevision ? { resumeFromRevision: this.lastRevision + 1 } : {}),
    });
    this.iter = this.watcher[Symbol.asyncIterator]();
  }

  async read(): Promise<Transaction | null> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopped || !this.iter) return null;
      const r = await Promise.race([this.iter.next(), this.stoppedP]);
      if (r === "stopped" || this.stopped) return null;
      if (!r.done) return this.entry(r.value);
      // The watcher ended on its own: supervise it, resuming from the last revision seen.
      if (attempt >= 5) throw new Error("the KV watcher ended unexpectedly and could not be resumed");
      this.ctx.logger.warn(
        `nats_kv: watcher on ${this.conf.bucket} ended; resuming after revision ${this.lastRevision}`,
      );
      await sleep(Math.min(5000, 100 * 2 ** attempt), this.ctx.signal);
      try {
        await this.watch();
      } catch (err) {
        this.ctx.logger.error(`nats_kv: cannot resume watcher: ${(err as Error).message}`);
      }
    }
  }

  private entry(e: KvWatchEntry): Transaction {
    this.lastRevision = e.revision;
    const meta: Record<string, unknown> = {
      nats_kv_key: e.key,
      nats_kv_bucket: e.bucket,
      nats_kv_revision: String(e.revision),
      nats_kv_delta: String(e.delta ?? 0),
      nats_kv_operation: e.operation,
      nats_kv_created: e.created.toISOString(),
    };
    return {
      batch: [new Message(this.conf.meta_only ? new Uint8Array() : e.value, meta)],
      ack: async () => {},
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.markStopped();
    this.watcher?.stop();
  }

  async close(): Promise<void> {
    await this.stop();
  }
}

export const natsInput = (
  c: NatsComponentConf & { subject: string; queue?: string; send_ack?: boolean; prefetch_count: number },
  ctx: BuildContext,
): Input => new NatsInput(c, ctx);
export const jetStreamInput = (c: JetStreamConf, ctx: BuildContext): Input => new JetStreamInput(c, ctx);
export const kvInput = (c: KvConf, ctx: BuildContext): Input => new KvInput(c, ctx);

/** One pull's longest wait for messages. */
const FETCH_EXPIRES_MS = 1_000;
/** How long a stop may take to hand back what was pulled: the pull under way ends within FETCH_EXPIRES_MS. */
const NAK_ON_STOP_MS = FETCH_EXPIRES_MS + 2_000;

function withinMs(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.catch(() => undefined),
    new Promise<void>((r) => (timer = setTimeout(r, ms))),
  ]).finally(() => clearTimeout(timer));
}

/** Naks every message a closed consumer still yields (its buffer), until it ends. */
async function nakRemaining(iter: AsyncIterator<JsMsg>): Promise<void> {
  for (;;) {
    const r = await iter.next();
    if (r.done) return;
    r.value.nak();
  }
}
