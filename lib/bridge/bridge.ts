// The bridge: KV changes of the `pipelines` bucket → `converge` invocations, each handled change
// recorded in the events stream; `reconcile` at start and every resync interval. It holds no state
// of its own: the durable consumer remembers what was acked, converge reads the current definition.
import type { ConvergeResult } from "../converge";
import type { Invoker } from "../invoke";
import { isPermanent, sleep, toStatusError, type ChangeEvent, type Log } from "../model";
import { subscribeChanges, type ChangeTicket, type Store } from "../store";
import { HealthMonitor } from "../telemetry";
import type { BridgeConfig } from "./config";
import { eventForLateConfig, watchConfigs } from "./configs";
import { watchJobTriggers } from "./triggers";
import { Dispatcher } from "./dispatcher";
import { writeFailedStatus } from "./failed-status";
import { writeChangeRecord, type ChangeRecord } from "./record";
import { Requeues } from "./requeue";

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
  /** Converges of pipelines on their way (pending) the bridge ran again, as they asked. */
  requeues: number;
  inFlight: number;
  waiting: number;
  /** Pipelines with a requeue scheduled. */
  requeued: number;
}

/** What the dispatcher queues per pipeline: a change, or a look again a converge asked for. */
export interface Work {
  event: ChangeEvent;
  requeue?: boolean;
}

/** The longest wait between two looks at a pipeline on its way (unless its converge asks for longer). */
const REQUEUE_MAX_DELAY_MS = 5_000;
/** After this long on its way, a pipeline is left to the reconcile. */
const REQUEUE_GIVE_UP_MS = 15 * 60_000;

export class Bridge {
  private readonly dispatcher: Dispatcher<Work>;
  /** Stops new work (consumer, retries, requeues) at stop(). */
  private readonly abort = new AbortController();
  /** Cuts the invocations still in flight once the drain timeout is over. */
  private readonly cutInFlight = new AbortController();
  private readonly requeues: Requeues;
  private supervisor?: Promise<void>;
  private configWatch?: Promise<void>;
  private healthWatch?: Promise<void>;
  private triggerWatch?: Promise<void>;
  private resyncTimer?: NodeJS.Timeout;
  private reconciling?: Promise<void>;
  private resyncAgain?: string;
  private readonly counters = {
    received: 0,
    handled: 0,
    failed: 0,
    invocations: 0,
    reconciles: 0,
    requeues: 0,
  };

  constructor(private readonly opts: BridgeOptions) {
    this.dispatcher = new Dispatcher<Work>({
      concurrency: opts.config.concurrency,
      keepAliveMs: Math.max(1_000, Math.floor(opts.config.ackWaitMs / 3)),
      handle: (_key, work) => this.handle(work),
      coalesce: keepNewestChange,
      onError: (key, err) =>
        opts.log.error("change not handled; will be redelivered", {
          pipeline: key,
          error: toStatusError(err, "INVOKE_FAILED"),
        }),
    });
    this.requeues = new Requeues({
      maxDelayMs: REQUEUE_MAX_DELAY_MS,
      giveUpAfterMs: REQUEUE_GIVE_UP_MS,
      fire: (key) => this.lookAgain(key),
      onGiveUp: (key, ms) =>
        opts.log.warn("pipeline still on its way; leaving it to the reconcile", {
          pipeline: key,
          pendingForMs: ms,
        }),
    });
  }

  get stats(): BridgeStats {
    return {
      ...this.counters,
      inFlight: this.dispatcher.inFlightCount,
      waiting: this.dispatcher.waitingCount,
      requeued: this.requeues.size,
    };
  }

  /** Starts consuming and the resync loop; returns at once (the consumer attaches in the background). */
  start(): void {
    const { config, store, log } = this.opts;
    let attached = false;
    this.supervisor = subscribeChanges(store, {
      durable: config.durable,
      ackWaitMs: config.ackWaitMs,
      maxAckPending: config.maxAckPending,
      onChange: (event, ticket) => this.onChange(event, ticket),
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
      onChange: (id, status, change) => {
        log.info("telemetry asks for a converge", { pipeline: id, change });
        const event = { key: id, operation: "PUT" as const, revision: status.revision, timestamp: now() };
        this.dispatcher.add(id, { event }, NO_MESSAGE);
      },
    }).start();
    const { invoker } = this.opts;
    if (invoker.trigger) {
      this.triggerWatch = watchJobTriggers({
        store,
        log,
        signal: this.abort.signal,
        // The run's end is observed by converging the job again while it runs (as it asks).
        trigger: async (event) => {
          const answer = await invoker.trigger!(event, { signal: this.cutInFlight.signal });
          this.afterConverge(event.id, answer.result, true);
        },
      });
    }
    if (config.resyncIntervalMs > 0) {
      this.resyncTimer = setInterval(() => void this.resync("interval"), config.resyncIntervalMs);
    }
  }

  private onChange(event: ChangeEvent, ticket: ChangeTicket): void {
    this.counters.received++;
    this.dispatcher.add(event.key, { event }, ticket);
  }

  /** A config was stored: converge again if its pipeline's converge failed for want of it. */
  private async onConfig(id: string, version: string): Promise<void> {
    try {
      // A converge of this pipeline in flight may be the one that misses the config: let it finish.
      await this.dispatcher.settled(id);
      const event = await eventForLateConfig(this.opts.store, id, version);
      if (event) this.dispatcher.add(id, { event }, NO_MESSAGE);
    } catch (err) {
      this.opts.log.warn("could not check a new config", {
        pipeline: id,
        version,
        error: toStatusError(err, "INVOKE_FAILED"),
      });
    }
  }

  /** A converge asked to be called again: queue a look at the pipeline (coalesced with its changes). */
  private lookAgain(key: string): void {
    if (this.abort.signal.aborted) return;
    this.counters.requeues++;
    this.dispatcher.add(
      key,
      { event: { ...this.lastEvent(key), timestamp: now() }, requeue: true },
      NO_MESSAGE,
    );
  }

  /** What converge answered decides whether the pipeline is looked at again, and when. */
  private afterConverge(key: string, result: ConvergeResult | undefined, fresh: boolean): void {
    if (result?.requeueAfterMs && result.requeueAfterMs > 0) {
      this.lastEvents.set(key, eventOf(result));
      this.requeues.schedule(key, result.requeueAfterMs, fresh);
    } else {
      this.requeues.settled(key);
      this.lastEvents.delete(key);
    }
  }

  private readonly lastEvents = new Map<string, ChangeEvent>();
  private lastEvent(key: string): ChangeEvent {
    return this.lastEvents.get(key) ?? { key, operation: "PUT", revision: 0, timestamp: now() };
  }

  /**
   * One change (or a look again), retried with capped exponential backoff unless retrying cannot
   * help; recorded (a look again only when it acted or failed). Throws only if it could not record.
   */
  private async handle({ event, requeue = false }: Work): Promise<void> {
    const { config, invoker, log, store } = this.opts;
    const started = Date.now();
    let attempts = 0;
    let record: ChangeRecord | undefined;
    let lastError: { code: string; message: string } | undefined;
    let permanent = false;
    while (attempts < config.maxAttempts && !this.abort.signal.aborted) {
      attempts++;
      this.counters.invocations++;
      try {
        const result = await invoker.converge(event, { signal: this.cutInFlight.signal });
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
        permanent = isPermanent(err);
        if (permanent) break; // the same request fails the same way: record it now
        if (attempts < config.maxAttempts) await this.backoff(attempts);
      }
    }
    this.afterConverge(event.key, record?.result, !requeue);
    if (!record) {
      if (this.abort.signal.aborted && attempts < config.maxAttempts && !permanent) {
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
    // A look again that found the pipeline still on its way did nothing worth a record.
    if (requeue && record.outcome === "ok" && !record.result?.actions.length) return;
    await writeChangeRecord(store, record, requeue ? "requeue" : "change");
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
    return sleep(ms, this.abort.signal);
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
        const r = await invoker.reconcile({ signal: this.cutInFlight.signal });
        for (const result of r.results) this.afterConverge(result.id, result, true);
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
    this.requeues.stop();
    await Promise.all([this.supervisor, this.configWatch, this.healthWatch, this.triggerWatch]);
    const finished = await this.dispatcher.stop(config.drainTimeoutMs);
    if (!finished) {
      this.cutInFlight.abort(); // in process: no further step starts; a Lambda call is let go
      log.warn("stopped with invocations still in flight; their changes will be redelivered");
    }
    if (this.reconciling) {
      await Promise.race([
        this.reconciling,
        new Promise((r) => setTimeout(r, config.drainTimeoutMs).unref()),
      ]);
    }
  }
}

/**
 * Which of two queued works of one pipeline is handled (and recorded) for both. The record must
 * cover the newest change, so a change is never replaced by a mere look again, nor by a work with an
 * older revision (a health change converges at the revision the status shows, which may be older
 * than a change still waiting): otherwise the waiting change would be acked and never recorded.
 */
export function keepNewestChange(waiting: Work, newer: Work): Work {
  if (Boolean(newer.requeue) !== Boolean(waiting.requeue)) return newer.requeue ? waiting : newer;
  return newer.event.revision >= waiting.event.revision ? newer : waiting;
}

/** A change that came from no JetStream message (a config arrival): nothing to ack. */
const NO_MESSAGE = { ack() {}, nak() {}, working() {} };

function now(): string {
  return new Date().toISOString();
}

/** The change a converge acted on, as an event (a key with no entry at all reads as purged). */
function eventOf(r: ConvergeResult): ChangeEvent {
  const operation = r.operation === "NONE" ? "PURGE" : r.operation;
  return { key: r.id, operation, revision: r.revision, timestamp: now() };
}
