// NATS outputs: `nats` (publish, confirmed by a coalesced flush), `nats_jetstream` (publish with
// PubAck), `nats_kv` (put).
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { toJson } from "../../../bloblang";
import { InterpolatedString } from "../../blobl";
import type { Batch } from "../../message";
import type { BuildContext } from "../../runtime/context";
import { metadataFilter, type NatsComponentConf } from "../../runtime/nats";
import type { Output } from "../../runtime/types";

interface PublishConf extends NatsComponentConf {
  subject: string;
  headers: Record<string, string>;
  metadata: { include_prefixes: string[]; include_patterns: string[] };
  max_in_flight: number;
}

/** Builds per-message subject and headers from interpolations and the metadata filter. */
function publisher(conf: PublishConf) {
  const subject = new InterpolatedString(conf.subject);
  const hdrs = Object.entries(conf.headers).map(([k, v]) => [k, new InterpolatedString(v)] as const);
  const include = metadataFilter(conf.metadata);
  const anyMeta = conf.metadata.include_prefixes.length > 0 || conf.metadata.include_patterns.length > 0;
  return (batch: Batch, i: number): { subject: string; headers?: MsgHdrs } => {
    const s = subject.render(batch, i);
    if (!hdrs.length && !anyMeta) return { subject: s };
    const h = natsHeaders();
    for (const [k, v] of Object.entries(batch[i].metadata))
      if (include(k)) h.set(k, typeof v === "string" ? v : toJson(v));
    for (const [k, v] of hdrs) h.set(k, v.render(batch, i));
    return { subject: s, headers: h };
  };
}

/**
 * Unacknowledged messages a `nats` output lets the stream keep in flight: enough for the groups of
 * several round trips (a write waits for its group's flush).
 */
const NATS_MAX_PENDING = 256;

export function natsOutput(conf: PublishConf, ctx: BuildContext): Output {
  const target = publisher(conf);
  let nc: NatsConnection;
  // Writes are gathered into groups: a group is published at once on the next macrotask (nats.js
  // writes to the socket once per turn) and confirmed by one flush (PING/PONG), and every write of a
  // group shares its promise. At most max_in_flight flushes are outstanding; while that many are,
  // the next group keeps growing, so under load each round trip confirms more messages.
  let queued: { subject: string; data: Uint8Array; headers?: MsgHdrs }[] = [];
  let group: { done: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  let scheduled = false;
  let flushing = 0;
  const maxFlushing = Math.max(1, conf.max_in_flight);
  const schedule = () => {
    if (scheduled || !group || flushing >= maxFlushing) return;
    scheduled = true;
    setImmediate(sendQueued);
  };
  const sendQueued = () => {
    scheduled = false;
    const items = queued;
    const g = group!;
    queued = [];
    group = undefined;
    try {
      for (const it of items)
        nc.publish(it.subject, it.data, it.headers ? { headers: it.headers } : undefined);
    } catch (err) {
      g.reject(err);
      return;
    }
    // Delivered = the server has read it: one PING/PONG after each group of publishes confirms the
    // whole group, so an input is never acked for messages still sitting in the client's buffer.
    // (Benthos counts a core NATS publish as delivered at once.)
    flushing++;
    nc.flush().then(
      () => {
        flushing--;
        g.resolve();
        schedule();
      },
      (err: unknown) => {
        flushing--;
        g.reject(err);
        schedule();
      },
    );
  };
  return {
    maxInFlight: conf.max_in_flight,
    limitsItself: true,
    maxPending: Math.max(NATS_MAX_PENDING, conf.max_in_flight),
    async connect() {
      nc = await ctx.nats.get(conf);
    },
    write(batch) {
      for (let i = 0; i < batch.length; i++) {
        const t = target(batch, i);
        queued.push({ subject: t.subject, data: batch[i].content, headers: t.headers });
      }
      if (!group) {
        let resolve!: () => void;
        let reject!: (e: unknown) => void;
        const done = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        group = { done, resolve, reject };
      }
      schedule();
      return group.done;
    },
    async close() {
      await nc?.flush().catch(() => undefined);
    },
  };
}

export function jetStreamOutput(conf: PublishConf, ctx: BuildContext): Output {
  const target = publisher(conf);
  let js: JetStreamClient;
  return {
    maxInFlight: conf.max_in_flight,
    async connect() {
      js = jetstream(await ctx.nats.get(conf));
    },
    async write(batch) {
      await Promise.all(
        batch.map((m, i) => {
          const t = target(batch, i);
          return js.publish(t.subject, m.content, t.headers ? { headers: t.headers } : undefined);
        }),
      );
    },
    async close() {},
  };
}

export function kvOutput(
  conf: NatsComponentConf & { bucket: string; key: string; max_in_flight: number },
  ctx: BuildContext,
): Output {
  const key = new InterpolatedString(conf.key);
  let kv: KV;
  return {
    maxInFlight: conf.max_in_flight,
    async connect() {
      kv = await new Kvm(await ctx.nats.get(conf)).open(conf.bucket);
    },
    async write(batch) {
      await Promise.all(batch.map((m, i) => kv.put(key.render(batch, i), m.content)));
    },
    async close() {},
  };
}
