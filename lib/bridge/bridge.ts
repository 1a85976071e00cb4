// The bridge: KV changes of the `pipelines` bucket → `converge` invocations, each handled change
// recorded in the events stream; `reconcile` at start and every resync interval. It holds no state
// of its own: the durable consumer remembers what was acked, converge reads the current definition.
import { jetstream, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import { toStatusError, type ChangeEvent, type Log } from "../model";
import type { Store } from "../store";
import { HealthMonitor } from "../telemetry";
import type { BridgeConfig } from "./config";
import { eventForLateConfig, watchConfigs } from "./configs";
import { changeEventOf, superviseConsumer } from "./consumer";
import { Dispatcher } from "./dispatcher";
import { writeFailedStatus } from "./failed-status";
import type { Invoker } from "../invoke";
import { writeChangeRecord, type ChangeRecord } from "./record";

export interface BridgeOptions {
  store: Store;
  invoker: Invoker;
  config: BridgeConfig;
  log: Log;
  /** Executor kind shown in a status written for a failed change that had none yet. */
  executorKind?: string;
  /** REEF_HEARTBEAT_INTERVAL (default 5 s): how health changes are detected. */
  heartbeatIntervalMs?: number;
}

export interface BridgeStats {
  received: number;
  handled: number;
  failed: number;
  invocations: number;
  reconciles: number;
  inFlight: number;
  waiting: number;
}

export class Bridge {
  private readonly js: JetStreamClient;
  private readonly dispatcher: Dispatcher<ChangeEvent>;
  private readonly abort = new AbortController();
  private supervisor?: Promise<void>;
  private configWatch?: Promise<void>;
  private healthWatch?: Promise<void>;
  private resyncTimer?: NodeJS.Timeout;
  private reconciling?: Promise<void>;
  private resyncAgain?: string;
  private readonly counters = { received: 0, handled: 0, failed: 0, invocations: 0, reconciles: 0 };

  constructor(private readonly opts: BridgeOptions) {
    this.js = jetstream(opts.store.nc);
    this.dispatcher = new Dispatcher<ChangeEvent>({
      concurrency: opts.config.concurrency,
      keepAliveMs: Math.max(1_000, Math.floor(opts.config.ackWaitMs / 3)),
      handle: (_key, event) => this.handle(event),
      onError: (key, err) =>
        opts.log.error("change not handled; will be redelivered", {
          pipeline: key,
          error: toStatusError(err, "INVOKE_FAILED"),
        }),
    });
  }

  get stats(): BridgeStats {
    return {
      ...this.counters,
      inFlight: this.dispatcher.inFlightCount,
      waiting: this.dispatcher.waitingCount,
    };
  }

  /** Starts consuming and the resync loop; returns at once (the consumer attaches in the background). */
  start(): void {
    const { config, store, log } = this.opts;
    let attached = false;
    this.supervisor = superviseConsumer({
      js: this.js,
      jsm: store.jsm,
      bucket: store.names.pipelines,
      durable: config.durable,
      ackWaitMs: config.ackWaitMs,
      maxAckPending: config.maxAckPending,
      onMessage: (m) => this.onMessage(m),
      // Reconcile once the consumer exists, so every change is covered by one or the other: those
      // before are seen by the reconcile, those after by the consumer.
      onAttached: (created) => {
        if (!attached) void this.resync("start", true);
        else if (created) void this.resync("consumer re-created", true);
        attached = true;
      },
      log,
      signal: this.abort.signal,
    });
    this.configWatch = watchConfigs({
      store,
      log,
      signal: this.abort.signal,
      onConfig: (id, version) => void this.onConfig(id, version),
    });
    // A change of a pipeline's health state converges it (status is written by converge only).
    this.healthWatch = new HealthMonitor({
      store,
      intervalMs: this.opts.heartbeatIntervalMs ?? 5_000,
      signal: this.abort.signal,
      log,
      onChange: (id, status, to) => {
        log.info("health changed", { pipeline: id, from: status.health?.state ?? "unknown", to });
        const event = { key: id, operation: "PUT" as const, revision: status.revision, timestamp: now() };
        this.dispatcher.add(id, event, NO_MESSAGE);
      },
    }).start();
    if (config.resyncIntervalMs > 0) {
      this.resyncTimer = setInterval(() => void this.resync("interval"), config.resyncIntervalMs);
    }
  }

  private onMessage(m: JsMsg): void {
    this.counters.received++;
    const event = changeEventOf(m, this.opts.store.names.pipelines);
    this.dispatcher.add(event.key, event, m);
  }

  /** A config was stored: converge again if its pipeline's converge failed for want of it. */
  private async onConfig(id: string, version: string): Promise<void> {
    try {
      // A converge of this pipeline in flight may be the one that misses the config: let it finish.
      await this.dispatcher.settled(id);
      const event = await eventForLateConfig(this.opts.store, id, version);
      if (event) this.dispatcher.add(id, event, NO_MESSAGE);
    } catch (err) {
      this.opts.log.warn("could not check a new config", {
        pipeline: id,
        version,
        error: toStatusError(err, "INVOKE_FAILED"),
      });
    }
  }

  /** One change, retried with capped exponential backoff; recorded either way. Throws only if it could not record. */
  private async handle(event: ChangeEvent): Promise<void> {
    const { config, invoker, log, store } = this.opts;
    const started = Date.now();
    let attempts = 0;
    let record: ChangeRecord | undefined;
    let lastError: { code: string; message: string } | undefined;
    while (attempts < config.maxAttempts && !this.abort.signal.aborted) {
      attempts++;
      this.counters.invocations++;
      try {
        const result = await invoker.converge(event);
        record = {
          event,
          outcome: "ok",
          result,
          durationMs: Date.now() - started,
          handledAt: now(),
          attempts,
        };
        break;
      } catch (err) {
        lastError = toStatusError(err, "INVOKE_FAILED");
        log.warn("converge failed", {
          pipeline: event.key,
          revision: event.revision,
          attempt: attempts,
          error: lastError,
        });
        if (attempts < config.maxAttempts) await this.backoff(attempts);
      }
    }
    if (!record) {
      if (this.abort.signal.aborted && attempts < config.maxAttempts) {
        throw new Error("bridge stopping"); // not given up on: redelivered to the next bridge
      }
      const error = lastError ?? { code: "INVOKE_FAILED", message: "not attempted" };
      record = {
        event,
        outcome: "failed",
        error,
        durationMs: Date.now() - started,
        handledAt: now(),
        attempts,
      };
      await writeFailedStatus(store, event, error, this.opts.executorKind).catch((err) =>
        log.error("could not write failed status", {
          pipeline: event.key,
          error: toStatusError(err, "INVOKE_FAILED"),
        }),
      );
    }
    await writeChangeRecord(store, record);
    if (record.outcome === "ok") {
      this.counters.handled++;
      log.info("change handled", {
        pipeline: event.key,
        operation: event.operation,
        revision: event.revision,
        phase: record.result?.phase,
        actions: record.result?.actions,
        durationMs: record.durationMs,
        attempts,
      });
    } else {
      this.counters.failed++;
      log.error("change failed", {
        pipeline: event.key,
        revision: event.revision,
        error: record.error,
        attempts,
      });
    }
  }

  private backoff(attempt: number): Promise<void> {
    const { retryBaseMs, retryMaxMs } = this.opts.config;
    const ms = Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.abort.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
  }

  /**
   * Triggers `reconcile` (the safety net for anything missed). One at a time: while one runs, a
   * `mustCover` request (something may have been missed since it started) runs another right
   * after; other requests (the interval) are dropped.
   */
  resync(reason: string, mustCover = false): Promise<void> {
    if (this.abort.signal.aborted) return Promise.resolve();
    if (this.reconciling) {
      if (mustCover) this.resyncAgain = reason;
      return this.reconciling;
    }
    const { invoker, log } = this.opts;
    const started = Date.now();
    this.reconciling = (async () => {
      try {
        this.counters.reconciles++;
        const r = await invoker.reconcile();
        log.info("reconciled", {
          reason,
          pipelines: r.results.length,
          orphans: r.orphans,
          failures: r.failures,
          durationMs: Date.now() - started,
        });
      } catch (err) {
        log.error("reconcile failed", { reason, error: toStatusError(err, "INVOKE_FAILED") });
      } finally {
        this.reconciling = undefined;
      }
    })();
    return this.reconciling.then(() => {
      const again = this.resyncAgain;
      this.resyncAgain = undefined;
      return again ? this.resync(again) : undefined;
    });
  }

  /** Resolves when nothing is in flight or queued (tests, benchmarks). */
  idle(): Promise<void> {
    return this.dispatcher.idle();
  }

  /** Graceful stop: no new work, in-flight invocations finish (bounded), unhandled messages go back. */
  async stop(): Promise<void> {
    const { log, config } = this.opts;
    clearInterval(this.resyncTimer);
    this.abort.abort();
    await Promise.all([this.supervisor, this.configWatch, this.healthWatch]);
    const finished = await this.dispatcher.stop(config.drainTimeoutMs);
    if (!finished) log.warn("stopped with invocations still in flight; their changes will be redelivered");
    if (this.reconciling) {
      await Promise.race([
        this.reconciling,
        new Promise((r) => setTimeout(r, config.drainTimeoutMs).unref()),
      ]);
    }
  }
}

/** A change that came from no JetStream message (a config arrival): nothing to ack. */
const NO_MESSAGE = { ack() {}, nak() {}, working() {} };

function now(): string {
  return new Date().toISOString();
}
