// A running stream: input → (buffer) → pipeline threads → output, with at-least-once delivery:
// a transaction is acked at the input only after the output accepted every batch derived from it.
import { availableParallelism } from "node:os";
import type { Readable } from "node:stream";
import { buildInput } from "../components/inputs";
import { buildOutput } from "../components/outputs";
import { allSync, buildProcessor, runProcessors, runProcessorsSync } from "../components/processors";
import type { EngineConfig } from "../config/types";
import { EngineError, errorMessage } from "../errors";
import type { Batch, Transaction } from "../message";
import { Semaphore } from "./async";
import { MemoryBuffer } from "./buffer";
import type { BuildContext } from "./context";
import { HttpServerRegistry } from "./http";
import { makeLogger, type LogFn } from "./logger";
import { MetricsRegistry, type ComponentError, type ComponentMetrics, type ConsumerLag } from "./metrics";
import { NatsPool } from "./nats";
import { ResourceSet } from "./resources";
import type { Input, Output, Processor } from "./types";

export interface RunningStream {
  /**
   * Resolves when the stream has ended (input finished or stop()) and everything is closed; rejects
   * (code INPUT_FAILED) when it ended because the input broke.
   */
  done: Promise<void>;
  /** Graceful stop: no new reads, in-flight work drains within timeoutMs, then everything closes. */
  stop(timeoutMs?: number): Promise<void>;
  metrics(): Record<string, ComponentMetrics>;
  /** What a heartbeat reports about the stream as a whole (lib/telemetry reads it). */
  telemetry(): StreamTelemetry;
}

export interface StreamTelemetry {
  /** Messages read by the root input. */
  received: number;
  /** Messages delivered by the root output. */
  sent: number;
  /** Messages failed by a top-level processor or the root output. */
  errors: number;
  /** Write latency of the root output. */
  latencyMs: { p50: number; p99: number };
  /** Transactions read and not yet acked. */
  inFlight: number;
  lastError: ComponentError | null;
  /** Set when the input is a JetStream consumer. */
  lag?: () => Promise<ConsumerLag>;
}

export interface StreamOptions {
  logger?: LogFn;
  /** Gets every line the default logger writes to stderr, with its level. */
  logTap?: (level: string, line: string) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** What the `stdin` input reads (default: the process's stdin); a job run's payload. */
  stdin?: Readable;
  /** NATS connections shared with other streams (a reef host); default: the stream's own. */
  nats?: NatsPool;
}

/** How long pipeline threads may run without yielding to I/O and timers. */
const YIELD_AFTER_MS = 10;

export async function startStream(config: EngineConfig, opts: StreamOptions = {}): Promise<RunningStream> {
  const logger = makeLogger(config.logger, opts.logger, opts.logTap);
  const metrics = new MetricsRegistry();
  const hardStop = new AbortController();
  const env = opts.env ?? process.env;
  let ready = false;
  const http = new HttpServerRegistry({
    "/ping": (_req, res) => res.end("pong"),
    "/ready": (_req, res) => {
      res.statusCode = ready ? 200 : 503;
      res.end(ready ? "OK" : "not ready");
    },
    // Prometheus text when metrics.prometheus is configured (Benthos's default), JSON otherwise;
    // /stats is always JSON.
    "/metrics": (_req, res) => {
      if (config.metrics.type === "prometheus") {
        res.setHeader("content-type", "text/plain; version=0.0.4");
        res.end(metrics.prometheus());
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(metrics.snapshot()));
    },
    "/stats": (_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(metrics.snapshot()));
    },
  });
  const nats = (opts.nats ?? new NatsPool(env)).lease();
  const resources = new ResourceSet(config, {
    input: buildInput,
    processor: buildProcessor,
    output: buildOutput,
  });
  const ctx: BuildContext = {
    config,
    resources,
    logger,
    metrics,
    signal: hardStop.signal,
    nats,
    http,
    env,
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
  };
  resources.ctx = ctx;

  let input: Input | undefined;
  let output: Output | undefined;
  let procs: Processor[] = [];
  const cleanup = async () => {
    await Promise.allSettled([...procs.map((p) => p.close?.()), output?.close()]);
    await resources.closeAll();
    await Promise.allSettled([input?.close(), ...resources.inputs.map((i) => i.close())]);
    await http.closeAll();
    await nats.closeAll();
  };

  try {
    input = buildInput(config.input, ctx);
    if (config.buffer.type === "memory") input = new MemoryBuffer(input, config.buffer.config.limit);
    procs = config.pipeline.processors.map((p) => buildProcessor(p, ctx));
    output = buildOutput(config.output, ctx);
    await output.connect();
    await input.connect();
    if (config.http.explicit && config.http.enabled)
      await http.route(config.http.address, "/ping", (_q, r) => r.end("pong"), true);
  } catch (err) {
    await cleanup();
    throw new EngineError(`cannot start stream: ${errorMessage(err)}`, "STREAM_START", { cause: err });
  }
  ready = true;
  logger.info("stream started", { input: config.input.type, output: config.output.type });

  const threads = config.pipeline.threads > 0 ? config.pipeline.threads : availableParallelism();
  // Bounds unacked transactions: backpressure stops reads when the output is slow.
  const maxPending = output.maxPending ?? Math.max(64, output.maxInFlight + threads);
  const slots = new Semaphore(maxPending);
  // Deliveries under way (written, not yet acked), and who waits for them all to settle.
  let delivering = 0;
  let onSettled: (() => void) | undefined;
  let fatal: EngineError | undefined;
  let inFlight = 0;
  const inp = input;
  const out = output;
  // A pipeline of processors that never wait runs without a promise per message.
  const syncProcs = allSync(procs);

  const settled = () => {
    inFlight--;
    slots.release();
    if (--delivering === 0 && onSettled) {
      const f = onSettled;
      onSettled = undefined;
      f();
    }
  };
  const nack = (tx: Transaction, err: unknown): Promise<void> => {
    logger.error(`failed to send message: ${errorMessage(err)}`);
    return tx.ack(err instanceof Error ? err : new Error(String(err))).catch(() => undefined);
  };
  // Sends processed batches; the input is acked only once the output accepted all of them.
  // Plain promise callbacks rather than an async function: this runs once per message.
  const deliver = (tx: Transaction, batches: Batch[]): void => {
    delivering++;
    let written: Promise<void>;
    // After a shutdown timeout nothing more is written: the source redelivers instead.
    if (hardStop.signal.aborted)
      written = Promise.reject(new Error("stream stopped before the message was delivered"));
    else
      try {
        written =
          batches.length === 1
            ? out.write(batches[0])
            : Promise.all(batches.map((b) => out.write(b))).then(() => undefined);
      } catch (err) {
        written = Promise.reject(err);
      }
    written
      .then(
        () => tx.ack().catch((err: unknown) => nack(tx, err)),
        (err: unknown) => nack(tx, err),
      )
      .then(settled, settled);
  };
  const allDelivered = (): Promise<void> =>
    delivering === 0 ? Promise.resolve() : new Promise<void>((r) => (onSettled = r));

  // A pipeline thread processes one transaction at a time (as in Benthos); writes run behind it.
  let lastYield = performance.now();
  const worker = async () => {
    for (let n = 1; ; n++) {
      // Inputs and processors that never wait would keep this loop on the microtask queue forever:
      // yield to timers and I/O (signals, stop(), socket writes) now and then. By time, not count:
      // a fixed count per turn lets a fast input outrun processing (and messages wait in its queue).
      if (n % 64 === 0 && performance.now() - lastYield > YIELD_AFTER_MS) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
      if (!slots.tryAcquire()) await slots.acquire();
      let tx: Transaction | null | undefined;
      try {
        tx = inp.tryRead?.() ?? (await inp.read());
      } catch (err) {
        // An input that breaks (consumer deleted, watcher gone) ends the stream with an error, so a
        // supervisor sees a failure rather than a clean end.
        logger.error(`input failed: ${errorMessage(err)}`);
        metrics.recordError(config.input.label || config.input.path, errorMessage(err));
        fatal ??= new EngineError(`input failed: ${errorMessage(err)}`, "INPUT_FAILED", { cause: err });
        // The other threads stop too (deferred: stop is defined below this loop's first run).
        queueMicrotask(() => void stop());
        tx = null;
      }
      if (!tx) {
        slots.release();
        return;
      }
      inFlight++;
      let batches: Batch[];
      try {
        batches = !procs.length
          ? [tx.batch]
          : syncProcs
            ? runProcessorsSync(procs, [tx.batch])
            : await runProcessors(procs, [tx.batch]);
      } catch (err) {
        logger.error(`processing failed: ${errorMessage(err)}`);
        void tx.ack(err instanceof Error ? err : new Error(String(err))).catch(() => undefined);
        inFlight--;
        slots.release();
        continue;
      }
      deliver(tx, batches);
    }
  };

  const workers = Promise.all(Array.from({ length: threads }, worker));
  const drained = workers.then(allDelivered);

  let stopping: Promise<void> | undefined;
  let finished!: () => void;
  let failed!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  // A failure may come before the caller awaits `done`: never an unhandled rejection (the caller
  // still sees it when it awaits).
  done.catch(() => undefined);
  const stop = (timeoutMs = config.shutdownTimeoutMs): Promise<void> =>
    (stopping ??= (async () => {
      logger.info("stopping stream", { timeout_ms: timeoutMs });
      // One deadline covers stopping the input and draining what is in flight.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)));
      await Promise.race([inp.stop().catch(() => undefined), deadline]);
      const timedOut = await Promise.race([drained.then(() => false), deadline]);
      clearTimeout(timer);
      if (timedOut) {
        logger.warn(
          `shutdown timeout: ${delivering} transactions still in flight are abandoned (they will be redelivered where the source supports it)`,
        );
        hardStop.abort();
      }
      ready = false;
      await cleanup();
      logger.info("stream stopped");
    })().finally(() => (fatal ? failed(fatal) : finished())));

  // The stream also ends by itself when a finite input is exhausted.
  void drained.then(() => stop());
  if (opts.signal) {
    if (opts.signal.aborted) void stop();
    else opts.signal.addEventListener("abort", () => void stop(), { once: true });
  }

  return {
    done,
    stop,
    metrics: () => metrics.snapshot(),
    telemetry: () => streamTelemetry(metrics, inFlight),
  };
}

/** Root input in, root output out, errors where they arose (top-level processors count nested ones). */
function streamTelemetry(metrics: MetricsRegistry, inFlight: number): StreamTelemetry {
  const out: StreamTelemetry = {
    received: 0,
    sent: 0,
    errors: 0,
    latencyMs: { p50: 0, p99: 0 },
    inFlight,
    lastError: metrics.lastError,
    lag: metrics.lagProbe,
  };
  for (const [name, m] of Object.entries(metrics.snapshot())) {
    const info = metrics.info(name);
    if (!info) continue;
    if (info.kind === "input" && info.path === "input") out.received += m.received;
    else if (info.kind === "processor" && /^pipeline\.processors\.\d+$/.test(info.path))
      out.errors += m.errors;
    else if (info.kind === "output" && info.path === "output") {
      out.sent += m.sent;
      out.errors += m.errors;
      out.latencyMs = { p50: m.latencyMs.p50, p99: m.latencyMs.p99 };
    }
  }
  return out;
}
