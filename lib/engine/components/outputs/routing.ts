// Outputs that route to other outputs: switch, broker (fan_out, fan_out_sequential, round_robin,
// greedy), fallback, reject_errored.
import { RejectedError } from "../../errors";
import { copyBatch, type Batch } from "../../message";
import { sleep } from "../../runtime/async";
import type { Logger } from "../../runtime/logger";
import type { Output } from "../../runtime/types";
import { checker } from "../processors/flow";

const connectAll = (outs: Output[]) => Promise.all(outs.map((o) => o.connect()));
const closeAll = (outs: Output[]) => Promise.all(outs.map((o) => o.close())).then(() => undefined);

/** Retries a write with capped backoff until it succeeds or the stream stops. */
async function writeUntilSuccess(o: Output, batch: Batch, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await o.write(batch);
      return;
    } catch (err) {
      if (signal.aborted) throw err;
      await sleep(Math.min(3000, 50 * 2 ** attempt), signal);
    }
  }
}

export function switchOutput(
  conf: { retry_until_success: boolean; strict_mode: boolean; cases: { check: string; continue: boolean }[] },
  outputs: Output[],
  signal: AbortSignal,
  logger: Logger,
): Output {
  const checks = conf.cases.map((c) => checker(c.check));
  return {
    maxInFlight: 64,
    connect: () => connectAll(outputs).then(() => undefined),
    async write(batch) {
      const groups: Batch[] = outputs.map(() => []);
      for (let i = 0; i < batch.length; i++) {
        let matched = false;
        for (let c = 0; c < checks.length; c++) {
          let hit = false;
          try {
            hit = checks[c](batch, i);
          } catch (err) {
            // As in Benthos: a check that fails to evaluate is logged and counts as no match.
            logger.error(`switch output: failed to test case ${c}: ${(err as Error).message}`);
          }
          if (!hit) continue;
          matched = true;
          groups[c].push(batch[i]);
          if (!conf.cases[c].continue) break;
        }
        if (!matched && conf.strict_mode)
          throw new RejectedError("no switch output case matched the message");
      }
      await Promise.all(
        groups.map((g, c) => {
          if (!g.length) return;
          return conf.retry_until_success ? writeUntilSuccess(outputs[c], g, signal) : outputs[c].write(g);
        }),
      );
    },
    close: () => closeAll(outputs),
  };
}

export function brokerOutput(conf: { pattern: string }, outputs: Output[], signal: AbortSignal): Output {
  let next = 0;
  return {
    maxInFlight: 64,
    connect: () => connectAll(outputs).then(() => undefined),
    async write(batch) {
      switch (conf.pattern) {
        case "fan_out":
          // A failed output is retried alone; the others are not written twice.
          await Promise.all(outputs.map((o) => writeUntilSuccess(o, copyBatch(batch), signal)));
          return;
        case "fan_out_sequential":
          for (const o of outputs) await writeUntilSuccess(o, copyBatch(batch), signal);
          return;
        default: {
          // round_robin and greedy: one output per batch, rotating.
          const o = outputs[next++ % outputs.length];
          await o.write(batch);
        }
      }
    },
    close: () => closeAll(outputs),
  };
}

export function fallbackOutput(outputs: Output[]): Output {
  return {
    maxInFlight: 64,
    connect: () => connectAll(outputs).then(() => undefined),
    async write(batch) {
      let last: unknown;
      for (const o of outputs) {
        try {
          await o.write(copyBatch(batch));
          return;
        } catch (err) {
          last = err;
          for (const m of batch) m.metadata.fallback_error = (err as Error).message;
        }
      }
      throw last;
    },
    close: () => closeAll(outputs),
  };
}

export function rejectErroredOutput(child: Output): Output {
  return {
    maxInFlight: child.maxInFlight,
    connect: () => child.connect(),
    async write(batch) {
      const bad = batch.find((m) => m.error);
      if (bad) throw new RejectedError(`message failed processing: ${bad.error!.message}`);
      await child.write(batch);
    },
    close: () => child.close(),
  };
}
