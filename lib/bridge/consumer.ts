// The durable JetStream consumer on the pipelines KV stream, supervised: (re)created when missing,
// re-attached after consumer loss or heartbeat gaps, with capped backoff between attempts.
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { ChangeEvent, Operation, Log } from "../model";

export interface SupervisorOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** KV bucket name: the stream is `KV_<bucket>`, subjects `$KV.<bucket>.>`. */
  bucket: string;
  durable: string;
  ackWaitMs: number;
  maxAckPending: number;
  onMessage(msg: JsMsg): void;
  /**
   * The consumer is attached. `created`: it did not exist and was created, so changes made before
   * were not seen by it (the caller reconciles).
   */
  onAttached(created: boolean): void;
  log: Log;
  signal: AbortSignal;
}

/** Runs until `signal` aborts. */
export async function superviseConsumer(opts: SupervisorOptions): Promise<void> {
  const stream = `KV_${opts.bucket}`;
  let delay = 250;
  while (!opts.signal.aborted) {
    let messages: ConsumerMessages | undefined;
    const onAbort = () => messages?.stop();
    try {
      const created = await ensureConsumer(opts, stream);
      const consumer = await opts.js.consumers.get(stream, opts.durable);
      messages = await consumer.consume({ max_messages: 256, abort_on_missing_resource: true });
      opts.signal.addEventListener("abort", onAbort, { once: true });
      if (opts.signal.aborted) messages.stop();
      void watchStatus(messages, opts.log);
      opts.log.info("consuming", { stream, durable: opts.durable });
      opts.onAttached(created);
      for await (const m of messages) {
        delay = 250;
        opts.onMessage(m);
      }
      if (!opts.signal.aborted)
        opts.log.warn("consumer stopped; re-attaching", { stream, durable: opts.durable });
    } catch (err) {
      if (opts.signal.aborted) break;
      opts.log.warn("consumer failed; retrying", {
        stream,
        durable: opts.durable,
        error: String(err),
        retryInMs: delay,
      });
    } finally {
      opts.signal.removeEventListener("abort", onAbort);
    }
    if (opts.signal.aborted) break;
    await sleep(delay, opts.signal);
    delay = Math.min(delay * 2, 10_000);
  }
}

/** Stops the iteration on consumer loss or repeated missed heartbeats, so the loop re-attaches. */
async function watchStatus(messages: ConsumerMessages, log: Log): Promise<void> {
  for await (const s of messages.status()) {
    switch (s.type) {
      case "consumer_deleted":
      case "consumer_not_found":
      case "stream_not_found":
        log.warn("consumer lost", { status: s.type });
        messages.stop();
        return;
      case "heartbeats_missed":
        if (s.count >= 3) {
          log.warn("heartbeats missed; re-attaching", { count: s.count });
          messages.stop();
          return;
        }
        break;
    }
  }
}

/** Creates the durable consumer if it is missing. True when it was created. */
async function ensureConsumer(opts: SupervisorOptions, stream: string): Promise<boolean> {
  try {
    await opts.jsm.consumers.info(stream, opts.durable);
    return false;
  } catch (err) {
    if (!/consumer not found/i.test((err as Error).message)) throw err;
  }
  await opts.jsm.consumers.add(stream, {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    // A new bridge starts from now: the reconcile that follows creation covers the past.
    deliver_policy: DeliverPolicy.New,
    filter_subject: `$KV.${opts.bucket}.>`,
    ack_wait: nanos(opts.ackWaitMs),
    max_ack_pending: opts.maxAckPending,
    max_deliver: -1,
  });
  opts.log.info("consumer created", { stream, durable: opts.durable });
  return true;
}

/** The contract's change event of a raw KV stream message (DEL/PURGE by key only: no value decoded). */
export function changeEventOf(msg: JsMsg, bucket: string): ChangeEvent {
  const prefix = `$KV.${bucket}.`;
  const key = msg.subject.startsWith(prefix) ? msg.subject.slice(prefix.length) : msg.subject;
  const op = msg.headers?.get("KV-Operation");
  const operation: Operation = op === "DEL" || op === "PURGE" ? op : "PUT";
  return { key, operation, revision: msg.seq, timestamp: msg.time.toISOString() };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
