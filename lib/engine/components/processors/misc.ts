// Small processors: log, split, sleep, dedupe, rate_limit, sync_response, group_by_value, noop.
import { toPlain } from "../../../bloblang";
import { compile, execInput, InterpolatedString } from "../../blobl";
import { parseDuration } from "../../duration";
import type { Batch, Message } from "../../message";
import { sleep } from "../../runtime/async";
import type { BuildContext } from "../../runtime/context";
import type { Processor } from "../../runtime/types";
import { perMessage } from "./run";

export function logProcessor(
  conf: { level: string; message: string; fields_mapping?: string; fields: Record<string, string> },
  ctx: BuildContext,
): Processor {
  const message = new InterpolatedString(conf.message);
  const fieldsMapping = conf.fields_mapping ? compile(conf.fields_mapping) : undefined;
  const fields = Object.entries(conf.fields).map(([k, v]) => [k, new InterpolatedString(v)] as const);
  return {
    async process(batch) {
      for (let i = 0; i < batch.length; i++) {
        let extra: Record<string, unknown> = {};
        try {
          for (const [k, f] of fields) extra[k] = f.render(batch, i);
          if (fieldsMapping) {
            const v = fieldsMapping.exec(execInput(batch, i)).value;
            if (v && typeof v === "object") extra = { ...extra, ...(toPlain(v) as Record<string, unknown>) };
          }
          ctx.logger.log(conf.level, message.render(batch, i), extra);
        } catch (err) {
          ctx.logger.error(`failed to render log message: ${(err as Error).message}`);
        }
      }
      return [batch];
    },
  };
}

export function splitProcessor(conf: { size: number; byte_size: number }): Processor {
  return {
    async process(batch) {
      const out: Batch[] = [];
      let cur: Message[] = [];
      let bytes = 0;
      for (const m of batch) {
        const len = conf.byte_size > 0 ? m.content.length : 0;
        if (
          cur.length &&
          ((conf.size > 0 && cur.length >= conf.size) || (conf.byte_size > 0 && bytes + len > conf.byte_size))
        ) {
          out.push(cur);
          cur = [];
          bytes = 0;
        }
        cur.push(m);
        bytes += len;
      }
      if (cur.length) out.push(cur);
      return out;
    },
  };
}

export function sleepProcessor(conf: { duration: string }, ctx: BuildContext): Processor {
  const d = new InterpolatedString(conf.duration);
  return {
    async process(batch) {
      // One sleep per batch, duration from its first message (Benthos does the same).
      let ms = 0;
      try {
        ms = parseDuration(d.render(batch, 0));
      } catch (err) {
        ctx.logger.error(`sleep: ${(err as Error).message}`);
      }
      await sleep(ms, ctx.signal);
      return [batch];
    },
  };
}

export function dedupeProcessor(
  conf: { cache: string; key: string; drop_on_err: boolean },
  ctx: BuildContext,
): Processor {
  const key = new InterpolatedString(conf.key);
  const cache = ctx.resources.cache(conf.cache);
  const one = new Uint8Array([116]);
  return perMessage((msg, batch, i) => {
    let k: string;
    try {
      k = key.render(batch, i);
    } catch (err) {
      if (conf.drop_on_err) return null;
      throw err;
    }
    return cache.add(k, one) ? msg : null;
  });
}

export function rateLimitProcessor(conf: { resource: string }, ctx: BuildContext): Processor {
  const rl = ctx.resources.rateLimit(conf.resource);
  return perMessage(async (msg) => {
    await rl.access(ctx.signal, msg.content.length);
    return msg;
  });
}

export function syncResponseProcessor(): Processor {
  return {
    async process(batch) {
      const byCtx = new Map<object, Message[]>();
      for (const m of batch)
        if (m.syncResponse) byCtx.set(m.syncResponse, [...(byCtx.get(m.syncResponse) ?? []), m.copy()]);
      for (const [c, msgs] of byCtx) (c as { responses: Message[][] }).responses.push(msgs);
      return [batch];
    },
  };
}

export function groupByValueProcessor(conf: { value: string }): Processor {
  const v = new InterpolatedString(conf.value);
  return {
    async process(batch) {
      const groups = new Map<string, Message[]>();
      batch.forEach((m, i) => {
        const k = v.render(batch, i);
        groups.set(k, [...(groups.get(k) ?? []), m]);
      });
      return [...groups.values()];
    },
  };
}

export function noopProcessor(): Processor {
  return { process: async (batch) => [batch], processSync: (batch) => [batch] };
}
