// Further Benthos processors built from pieces the engine already has: `cache`, `for_each`,
// `processors`, `parallel` and `nats_request_reply`.
import * as zlib from "node:zlib";
import { Kvm, type KV } from "@nats-io/kv";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { fromPlain, parseJson } from "../../../bloblang";
import { InterpolatedString } from "../../blobl";
import { parseDuration } from "../../duration";
import type { Message } from "../../message";
import { Semaphore } from "../../runtime/async";
import type { BuildContext } from "../../runtime/context";
import { headersToMeta, metadataFilter, type NatsComponentConf } from "../../runtime/nats";
import type { Processor } from "../../runtime/types";
import { flagError, perMessage, runProcessors } from "./run";

export function cacheProcessor(
  conf: { resource: string; operator: string; key: string; value?: string; ttl?: string },
  ctx: BuildContext,
): Processor {
  const cache = ctx.resources.cache(conf.resource);
  const key = new InterpolatedString(conf.key);
  const value = conf.value !== undefined ? new InterpolatedString(conf.value) : undefined;
  const ttl = conf.ttl ? new InterpolatedString(conf.ttl) : undefined;
  return perMessage((msg, batch, i) => {
    const k = key.render(batch, i);
    const v = () => (value ? value.renderBytes(batch, i) : msg.content);
    const t = () => (ttl ? parseDuration(ttl.render(batch, i)) : undefined);
    switch (conf.operator) {
      case "set":
        cache.set(k, v(), t());
        return msg;
      case "add":
        if (!cache.add(k, v(), t())) throw new Error(`key ${k} already exists`);
        return msg;
      case "get": {
        const got = cache.get(k);
        if (got === undefined) throw new Error(`key ${k} does not exist`);
        msg.setContent(got);
        return msg;
      }
      case "exists":
        msg.setContent(cache.get(k) === undefined ? "false" : "true");
        return msg;
      case "delete":
        cache.delete(k);
        return msg;
      default:
        throw new Error(`cache operator ${conf.operator} is not supported`);
    }
  });
}

/** `for_each`: the child processors run on each message on its own. */
export function forEachProcessor(procs: Processor[]): Processor {
  return {
    async process(batch) {
      const out: Message[] = [];
      for (const m of batch) out.push(...(await runProcessors(procs, [[m]])).flat());
      return [out];
    },
    async close() {
      await Promise.all(procs.map((p) => p.close?.()));
    },
  };
}

/** `processors`: a list of processors used as one. */
export function listProcessor(procs: Processor[]): Processor {
  return {
    process: (batch) => runProcessors(procs, [batch]),
    async close() {
      await Promise.all(procs.map((p) => p.close?.()));
    },
  };
}

/** `parallel`: each message through the child processors at once, at most `cap` at a time (0 = no cap). */
export function parallelProcessor(conf: { cap: number }, procs: Processor[]): Processor {
  return {
    async process(batch) {
      const sem = new Semaphore(conf.cap > 0 ? conf.cap : batch.length || 1);
      const results = await Promise.all(
        batch.map(async (m) => {
          await sem.acquire();
          try {
            return (await runProcessors(procs, [[m]])).flat();
          } finally {
            sem.release();
          }
        }),
      );
      return [results.flat()];
    },
    async close() {
      await Promise.all(procs.map((p) => p.close?.()));
    },
  };
}

export function natsRequestReplyProcessor(
  conf: NatsComponentConf & {
    subject: string;
    headers: Record<string, string>;
    metadata: { include_prefixes: string[]; include_patterns: string[] };
    timeout: string;
  },
  ctx: BuildContext,
): Processor {
  const subject = new InterpolatedString(conf.subject);
  const hdrs = Object.entries(conf.headers).map(([k, v]) => [k, new InterpolatedString(v)] as const);
  const include = metadataFilter(conf.metadata);
  const timeout = parseDuration(conf.timeout);
  let nc: Promise<NatsConnection> | undefined;
  return perMessage(async (msg, batch, i) => {
    nc ??= ctx.nats.get(conf);
    const h = natsHeaders();
    let any = false;
    for (const [k, v] of Object.entries(msg.metadata))
      if (include(k)) {
        h.set(k, String(v));
        any = true;
      }
    for (const [k, v] of hdrs) {
      h.set(k, v.render(batch, i));
      any = true;
    }
    const reply = await (
      await nc
    ).request(subject.render(batch, i), msg.content, {
      timeout,
      ...(any ? { headers: h } : {}),
    });
    msg.setContent(reply.data);
    msg.metadata.nats_subject = reply.subject;
    headersToMeta(reply.headers, msg.metadata);
    return msg;
  });
}

/** `nats_kv` processor: get / get_revision / create / put / update / delete / purge / keys on a bucket. */
export function natsKvProcessor(
  conf: NatsComponentConf & {
    bucket: string;
    operation: string;
    key: string;
    revision?: string;
    timeout: string;
  },
  ctx: BuildContext,
): Processor {
  const key = new InterpolatedString(conf.key);
  const revision = conf.revision ? new InterpolatedString(conf.revision) : undefined;
  let kv: Promise<KV> | undefined;
  const setMeta = (
    msg: Message,
    e: { key: string; bucket: string; revision: number; operation: string; created: Date },
  ) => {
    msg.metadata.nats_kv_key = e.key;
    msg.metadata.nats_kv_bucket = e.bucket;
    msg.metadata.nats_kv_revision = String(e.revision);
    msg.metadata.nats_kv_operation = e.operation;
    msg.metadata.nats_kv_created = e.created.toISOString();
  };
  return perMessage(async (msg, batch, i) => {
    kv ??= ctx.nats.get(conf).then((nc) => new Kvm(nc).open(conf.bucket));
    const bucket = await kv;
    const k = key.render(batch, i);
    const rev = () => {
      const r = Number(revision?.render(batch, i));
      if (!Number.isInteger(r))
        throw new Error(`revision is required for ${conf.operation} and must be an integer`);
      return r;
    };
    switch (conf.operation) {
      case "get":
      case "get_revision": {
        const e = await bucket.get(k, conf.operation === "get_revision" ? { revision: rev() } : undefined);
        if (!e || e.operation !== "PUT") throw new Error(`key ${k} does not exist`);
        msg.setContent(e.value);
        setMeta(msg, e);
        return msg;
      }
      case "create":
        msg.metadata.nats_kv_revision = String(await bucket.create(k, msg.content));
        return msg;
      case "put":
        msg.metadata.nats_kv_revision = String(await bucket.put(k, msg.content));
        return msg;
      case "update":
        msg.metadata.nats_kv_revision = String(await bucket.update(k, msg.content, rev()));
        return msg;
      case "delete":
        await bucket.delete(k);
        return msg;
      case "purge":
        await bucket.purge(k);
        return msg;
      case "keys": {
        const keys: string[] = [];
        for await (const name of await bucket.keys(k)) keys.push(name);
        msg.setValue(fromPlain(keys.sort()));
        return msg;
      }
      default:
        throw new Error(`nats_kv operation ${conf.operation} is not supported`);
    }
  });
}

type Algorithm = "gzip" | "pgzip" | "zlib" | "flate";

/** `compress` / `decompress` with the algorithms node:zlib has (gzip, pgzip, zlib, flate). */
export function compressionProcessor(
  conf: { algorithm: Algorithm; level?: number },
  direction: "compress" | "decompress",
): Processor {
  const level =
    conf.level === undefined || conf.level < 0 ? zlib.constants.Z_DEFAULT_COMPRESSION : conf.level;
  const fn =
    direction === "compress"
      ? { gzip: zlib.gzipSync, pgzip: zlib.gzipSync, zlib: zlib.deflateSync, flate: zlib.deflateRawSync }[
          conf.algorithm
        ]
      : { gzip: zlib.gunzipSync, pgzip: zlib.gunzipSync, zlib: zlib.inflateSync, flate: zlib.inflateRawSync }[
          conf.algorithm
        ];
  return perMessage((msg) => {
    msg.setContent(new Uint8Array(fn(msg.content, direction === "compress" ? { level } : {})));
    return msg;
  });
}

/** `archive`: a batch becomes one message (formats lines, concatenate, json_array). */
export function archiveProcessor(conf: { format: string }): Processor {
  return {
    async process(batch) {
      if (!batch.length) return [];
      const first = batch[0];
      const out = first.copy();
      out.error = null;
      if (conf.format === "json_array") out.setValue(batch.map((m) => m.json));
      else {
        const sep = conf.format === "lines" ? "\n" : "";
        out.setContent(
          Buffer.concat(batch.flatMap((m, i) => (i && sep ? [Buffer.from(sep), m.content] : [m.content]))),
        );
      }
      return [[out]];
    },
  };
}

/** `unarchive`: one message becomes several (formats lines, json_array, json_documents, json_map). */
export function unarchiveProcessor(conf: { format: string }): Processor {
  return {
    async process(batch) {
      const out: Message[] = [];
      for (const msg of batch) {
        try {
          out.push(...unarchiveOne(msg, conf.format));
        } catch (err) {
          flagError(msg, err);
          out.push(msg);
        }
      }
      return [out];
    },
  };
}

function unarchiveOne(msg: Message, format: string): Message[] {
  const child = (setup: (m: Message) => void) => {
    const m = msg.copy();
    setup(m);
    return m;
  };
  switch (format) {
    case "lines":
      return msg.text
        .split("\n")
        .filter((l) => l.length)
        .map((l) => child((m) => m.setContent(l)));
    case "json_array": {
      const v = msg.json;
      if (!Array.isArray(v)) throw new Error("unarchive json_array: content is not a JSON array");
      return v.map((x) => child((m) => m.setValue(x)));
    }
    case "json_map": {
      const v = msg.json as Record<string, unknown>;
      if (!v || typeof v !== "object" || Array.isArray(v))
        throw new Error("unarchive json_map: content is not a JSON object");
      return Object.entries(v).map(([k, x]) =>
        child((m) => {
          m.setValue(x);
          m.metadata.archive_filename = k;
        }),
      );
    }
    case "json_documents":
      return msg.text
        .split(/\n/)
        .filter((l) => l.trim())
        .map((l) => child((m) => m.setValue(parseJson(l))));
    default:
      throw new Error(`unarchive format ${format} is not supported`);
  }
}
