// The definition changes as a durable subscription: a JetStream consumer on the pipelines KV stream,
// supervised: (re)created when missing, re-attached after consumer loss or heartbeat gaps, with
// capped backoff between attempts. Each message reaches the subscriber as a change event and a
// ticket to acknowledge it by (unacknowledged changes are delivered again).
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { sleep, type ChangeEvent, type Operation, type Log } from "../model";
import { isConsumerNotFound } from "./errors";
import { natsHandles, type Store } from "./store";

/** How a change is acknowledged: done, to be delivered again (after a delay), or still being handled. */
export interface ChangeTicket {
  ack(): void;
  nak(delayMs?: number): void;
  working(): void;
}

export interface ChangeSubscriptionOptions {
  /** The durable consumer's name: subscribers with the same name share the changes. */
  durable: string;
  /** How long a delivered change may stay unacknowledged (without `working`) before it is delivered again. */
  ackWaitMs: number;
  maxAckPending: number;
  onChange(event: ChangeEvent, ticket: ChangeTicket): void;
  /**
   * The consumer is attached. `created`: it did not exist and was created, so changes made before
   * were not seen by it (the caller reconciles).
   */
  onAttached(created: boolean): void;
  log: Log;
  signal: AbortSignal;
}

/**
 * Delivers every change of the definitions from the durable consumer's position on, until `signal`
 * aborts. A consumer created here starts from now: the caller covers the past (`onAttached(true)`).
 */
export async function subscribeChanges(store: Store, opts: ChangeSubscriptionOptions): Promise<void> {
  const { nc, jsm } = natsHandles(store);
  const js = jetstream(nc);
  const bucket = store.names.pipelines;
  const stream = `KV_${bucket}`;
  let delay = 250;
  while (!opts.signal.aborted) {
    let messages: ConsumerMessages | undefined;
    const onAbort = () => messages?.stop();
    try {
      const created = await ensureConsumer(jsm, opts, bucket);
      const consumer = await js.consumers.get(stream, opts.durable);
      messages = await consumer.consume({ max_messages: 256, abort_on_missing_resource: true });
      opts.signal.addEventListener("abort", onAbort, { once: true });
      if (opts.signal.aborted) messages.stop();
      void watchStatus(messages, opts.log);
      opts.log.info("consuming", { stream, durable: opts.durable });
      opts.onAttached(created);
      for await (const m of messages) {
        delay = 250;
        opts.onChange(changeEventOf(m, bucket), m);
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
async function ensureConsumer(
  jsm: JetStreamManager,
  opts: ChangeSubscriptionOptions,
  bucket: string,
): Promise<boolean> {
  const stream = `KV_${bucket}`;
  try {
    await jsm.consumers.info(stream, opts.durable);
    return false;
  } catch (err) {
    if (!isConsumerNotFound(err)) throw err;
  }
  await jsm.consumers.add(stream, {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    // A new bridge starts from now: the reconcile that follows creation covers the past.
    deliver_policy: DeliverPolicy.New,
    filter_subject: `$KV.${bucket}.>`,
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
