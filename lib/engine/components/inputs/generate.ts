// `generate`: messages from a Bloblang mapping, every `interval` (first one at once), `count` times.
import { compile } from "../../blobl";
import { parseDuration } from "../../duration";
import { Message, type Transaction } from "../../message";
import { sleep } from "../../runtime/async";
import type { BuildContext } from "../../runtime/context";
import type { Input } from "../../runtime/types";

export function generateInput(
  conf: { mapping: string; interval: string; count: number; batch_size: number },
  ctx: BuildContext,
): Input {
  const mapping = compile(conf.mapping);
  const intervalMs = conf.interval ? parseDuration(conf.interval) : 0;
  let produced = 0;
  let next = 0;
  let stopped = false;
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, ctx.signal]);
  const make = (): Transaction | null => {
    const batch: Message[] = [];
    for (let i = 0; i < Math.max(1, conf.batch_size) && (conf.count <= 0 || produced < conf.count); i++) {
      const res = mapping.exec({ batch: { index: i, size: conf.batch_size } }, { mode: "mapping" });
      produced++;
      if (res.deleted) continue;
      const m = new Message(undefined, res.metadata);
      if (res.value instanceof Uint8Array) m.setContent(res.value);
      else if (res.value === undefined) m.setContent(new Uint8Array());
      else m.setValue(res.value);
      batch.push(m);
    }
    return batch.length ? { batch, ack: async () => {} } : null;
  };
  return {
    async connect() {},
    tryRead(): Transaction | undefined {
      // Without an interval nothing waits: the next batch is ready now.
      if (intervalMs > 0 || stopped || (conf.count > 0 && produced >= conf.count)) return undefined;
      return make() ?? undefined;
    },
    async read(): Promise<Transaction | null> {
      if (stopped || (conf.count > 0 && produced >= conf.count)) return null;
      const now = Date.now();
      if (next > now) await sleep(next - now, signal);
      if (stopped) return null;
      next = (next || now) + intervalMs;
      if (next < Date.now()) next = Date.now();
      return make() ?? this.read();
    },

    async stop() {
      stopped = true;
      stop.abort();
    },
    async close() {
      stopped = true;
      stop.abort();
    },
  };
}
