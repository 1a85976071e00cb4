// A reef host: one long-running process that runs many executions as streams of the built-in
// engine. It registers in the hosts bucket (rewritten every third of its TTL, with its load and
// memory), watches the placements bucket for the executions assigned to it, starts, stops and
// removes their streams, and reports each one's state in the reports bucket; every stream writes
// the same heartbeats and log lines as a runner does (lib/telemetry). Streams share the host's
// NATS connections (per servers and credentials), one heartbeat ticker and compiled mappings.
// A stream that fails, or throws where it should not, fails alone: the host and its neighbours go on.
import { openContext, type ReefContext } from "../context";
import { settingsFrom } from "../config";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { loadConfig, NatsPool, startStream, type RunningStream } from "../engine";
import { InvalidSettingError, ReefError, sleep, toStatusError, type Log, type StatusError } from "../model";
import { configObjectName, type BucketEntry, type Store } from "../store";
import {
  builtinSource,
  ExecutionTelemetry,
  telemetrySettingsFromEnv,
  type TelemetrySettings,
} from "../telemetry";
import {
  decode,
  HostBuckets,
  hostSettingsFromEnv,
  placementKey,
  placementSchema,
  type HostRecord,
  type HostReport,
  type HostSettings,
  type Placement,
} from "./buckets";
import { HostUnsupportedError } from "./errors";
import { SharedTicker } from "./ticker";

/** One execution on this host. */
interface Hosted {
  key: string;
  placement: Placement;
  /** version, digest and placedAt: a new incarnation restarts the stream. */
  generation: string;
  state: "starting" | "running" | "failed" | "exited";
  stream?: RunningStream;
  telemetry?: ExecutionTelemetry;
  /** Set while the host stops it on purpose: its end is no failure. */
  halting?: Promise<void>;
  startedAt?: string;
}

/** Where each placement is in being carried out: the latest seen, and whether it is being applied. */
interface KeySlot {
  latest: Placement | null;
  /** The placements bucket's revision of `latest`. */
  revision: number;
  dirty: boolean;
  busy: boolean;
}

export interface ReefHostOptions {
  env?: NodeJS.ProcessEnv;
  /** Stable id (REEF_HOST_ID): a host restarted within its TTL finds its placements again. */
  id?: string;
  log?: Log;
}

export class ReefHost {
  readonly id: string;
  private readonly streams = new Map<string, Hosted>();
  private readonly slots = new Map<string, KeySlot>();
  private readonly context = new AsyncLocalStorage<string>();
  private readonly nats: NatsPool;
  private readonly ticker: SharedTicker;
  private readonly startedAt = new Date().toISOString();
  private heartbeat?: NodeJS.Timeout;
  /** Stops the placements watch at stop(). */
  private readonly stopping = new AbortController();
  private closing = false;
  private refusal: string | null = null;
  private readonly onUncaught = (err: unknown) => this.uncaught(err);

  private readonly store: Store;

  private constructor(
    private readonly ctx: ReefContext,
    private readonly buckets: HostBuckets,
    private readonly settings: HostSettings,
    private readonly telemetry: TelemetrySettings,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Log,
    id: string,
  ) {
    this.id = id;
    this.store = ctx.store;
    // Connections are made outside any stream's context: their callbacks belong to no one stream.
    this.nats = new NatsPool(env, { detach: (fn) => this.context.exit(fn), shareAll: true });
    this.ticker = new SharedTicker(telemetry.heartbeatIntervalMs);
  }

  static async start(opts: ReefHostOptions = {}): Promise<ReefHost> {
    const env = opts.env ?? process.env;
    const settings = hostSettingsFromEnv(env);
    const telemetry = telemetrySettingsFromEnv(env);
    const id = opts.id ?? settingsFrom(env).hostId ?? `${hostname()}-${randomBytes(3).toString("hex")}`;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
      throw new InvalidSettingError("REEF_HOST_ID", id, "1-64 letters, digits, - or _");
    }
    const ctx = await openContext({
      name: `reef-host-${id}`,
      env,
      longRunning: true,
      failFirstConnect: true,
    });
    const buckets = await HostBuckets.open(ctx.store, settings.ttlMs).catch(async (err: unknown) => {
      await ctx.close();
      throw err;
    });
    const log = opts.log ?? stderrLog(id);
    const host = new ReefHost(ctx, buckets, settings, telemetry, env, log, id);
    process.on("uncaughtException", host.onUncaught);
    process.on("unhandledRejection", host.onUncaught);
    await host.writeRecord();
    host.heartbeat = setInterval(() => void host.writeRecord(), Math.max(300, settings.ttlMs / 3));
    void host.watchPlacements();
    log.info("reef host started", {
      host: id,
      ttlMs: settings.ttlMs,
      maxMemoryBytes: settings.maxMemoryBytes,
    });
    return host;
  }

  /** Streams by state (tests and the host's record). */
  counts(): Record<Hosted["state"], number> {
    const out = { starting: 0, running: 0, failed: 0, exited: 0 };
    for (const h of this.streams.values()) out[h.state]++;
    return out;
  }

  /** Graceful stop: every stream drains, the host leaves the hosts bucket (its placements move at once). */
  async stop(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.heartbeat);
    this.stopping.abort();
    await Promise.all([...this.streams.values()].map((h) => this.halt(h, { remove: false })));
    this.streams.clear();
    await this.buckets.hosts.delete(this.id).catch(() => undefined);
    this.ticker.stop();
    process.off("uncaughtException", this.onUncaught);
    process.off("unhandledRejection", this.onUncaught);
    await this.ctx.close().catch(() => undefined);
    this.log.info("reef host stopped", { host: this.id });
  }

  // ---- registration -----------------------------------------------------------------------------

  private async writeRecord(): Promise<void> {
    if (this.closing) return;
    const rss = process.memoryUsage.rss();
    const max = this.settings.maxMemoryBytes;
    this.refusal =
      max !== null && rss >= max
        ? `host ${this.id} refuses new streams: its memory (${mib(rss)}) is at or above REEF_HOST_MAX_MEMORY (${mib(max)})`
        : null;
    let placed = 0;
    for (const s of this.slots.values()) if (s.latest?.host === this.id) placed++;
    const record: HostRecord = {
      id: this.id,
      hostname: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
      streams: this.counts().running,
      placed,
      memoryBytes: rss,
      maxMemoryBytes: max,
      accepting: this.refusal === null,
      refusal: this.refusal,
      natsConnections: this.nats.size,
    };
    await this.buckets.hosts.put(this.id, JSON.stringify(record)).catch((err: unknown) => {
      this.log.warn("cannot write the host record (NATS away?)", { error: String(err) });
    });
  }

  // ---- placements -------------------------------------------------------------------------------

  /** Watches every placement, forever (resumed from the last revision when the watch breaks). */
  private async watchPlacements(): Promise<void> {
    let resumeFrom = 0;
    while (!this.closing) {
      try {
        const signal = this.stopping.signal;
        for await (const e of this.buckets.placements.watch({ fromRevision: resumeFrom, signal })) {
          resumeFrom = e.revision + 1;
          this.seen(e);
        }
      } catch (err) {
        if (!this.closing) this.log.warn("placements watch broke; resuming", { error: String(err) });
      }
      if (!this.closing) await sleep(1_000, this.stopping.signal);
    }
  }

  private seen(e: BucketEntry): void {
    const placement = decode(e, placementSchema)?.value ?? null;
    let slot = this.slots.get(e.key);
    // Placements of other hosts matter only when this host runs (or ran) the key.
    if (!slot && placement?.host !== this.id) return;
    if (!slot) this.slots.set(e.key, (slot = { latest: null, revision: 0, dirty: false, busy: false }));
    slot.latest = placement;
    slot.revision = e.revision;
    slot.dirty = true;
    if (!slot.busy) void this.settle(e.key, slot);
  }

  /** Applies the latest placement of `key` until nothing newer arrived meanwhile (one at a time per key). */
  private async settle(key: string, slot: KeySlot): Promise<void> {
    slot.busy = true;
    while (slot.dirty && !this.closing) {
      slot.dirty = false;
      try {
        await this.apply(key, slot.latest, slot.revision);
      } catch (err) {
        this.log.error("cannot apply a placement", { key, error: String(err) });
      }
    }
    slot.busy = false;
    if (!slot.latest || slot.latest.host !== this.id) {
      if (!this.streams.has(key)) this.slots.delete(key);
    }
  }

  private async apply(key: string, p: Placement | null, revision: number): Promise<void> {
    const current = this.streams.get(key);
    if (!p || p.host !== this.id) {
      // Deleted, or moved to another host.
      if (current) await this.halt(current, { remove: true });
      if (!p && current) await this.forget(key, current.placement);
      return;
    }
    if (p.desired === "removed") {
      // Draft, delete, a version switch, a scale-down: stop, leave no trace, then say so by
      // deleting the placement (unless a newer one replaced it meanwhile).
      if (current) await this.halt(current, { remove: true });
      await this.forget(key, p);
      await this.buckets.placements.delete(key, { ifRevision: revision }).catch(() => undefined);
      return;
    }
    if (p.desired === "stopped") {
      if (current) await this.halt(current, { remove: true });
      await this.report(p, "stopped", null, null);
      return;
    }
    const generation = `${p.version}|${p.digest}|${p.placedAt}`;
    if (current?.generation === generation) return; // running, or failed until placed again
    if (current) await this.halt(current, { remove: true });
    await this.launch(key, p, generation);
  }

  /**
   * Purges what this host reported for a removed placement (its heartbeat too: no trace). A failed
   * read or purge is tried again: a report left behind would outlive its placement.
   */
  private async forget(key: string, p: Placement): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const report = await this.buckets.getReport(key);
        if (report && report.value.host === this.id) await this.buckets.reports.purge(key);
        await this.store.deleteHeartbeat(p.pipeline, p.replica);
        return;
      } catch (err) {
        if (attempt >= 5 || this.closing) {
          this.log.warn("cannot remove a placement's report or heartbeat", { key, error: String(err) });
          return;
        }
        await sleep(200 * attempt);
      }
    }
  }

  // ---- streams ----------------------------------------------------------------------------------

  private async launch(key: string, p: Placement, generation: string): Promise<void> {
    const hosted: Hosted = { key, placement: p, generation, state: "starting" };
    this.streams.set(key, hosted);
    if (this.refusal) {
      await this.fail(hosted, { code: "HOST_MEMORY_LIMIT", message: this.refusal });
      return;
    }
    await this.context.run(key, async () => {
      try {
        const config = await this.store.getConfig(p.pipeline, p.version);
        if (!config) {
          throw new ReefError(
            "CONFIG_NOT_FOUND",
            `config object ${configObjectName(p.pipeline, p.version)} not found in ${this.store.names.configs}`,
          );
        }
        if (config.digest !== p.digest) {
          throw new ReefError(
            "DIGEST_MISMATCH",
            `config ${configObjectName(p.pipeline, p.version)} has digest ${config.digest}, expected ${p.digest}: versions are immutable, write a new version`,
          );
        }
        const engineConfig = loadForHost(new TextDecoder().decode(config.bytes), this.env);
        const telemetry = new ExecutionTelemetry({
          store: this.store,
          identity: {
            id: p.pipeline,
            replica: p.replica,
            version: p.version,
            digest: p.digest,
            engine: "builtin",
          },
          settings: this.telemetry,
          every: (tick) => this.ticker.add(tick),
          localLine: () => undefined, // the host's own stderr stays its own log
        });
        hosted.telemetry = telemetry;
        await telemetry.start();
        const stream = await startStream(engineConfig, {
          env: this.env,
          nats: this.nats,
          logger: (level, msg, fields) =>
            telemetry.builtinLine(level, JSON.stringify({ level: level.toLowerCase(), msg, ...fields })),
        });
        hosted.stream = stream;
        if (this.streams.get(key) !== hosted || this.closing) {
          await stream.stop().catch(() => undefined);
          return;
        }
        telemetry.attach(builtinSource(stream, 2_000, () => this.memoryShare()));
        hosted.state = "running";
        hosted.startedAt = new Date().toISOString();
        void stream.done.then(
          () => this.ended(hosted, null),
          (err: unknown) => this.ended(hosted, err),
        );
        await telemetry.setState("running");
        await this.report(p, "running", null, hosted.startedAt);
      } catch (err) {
        await this.fail(hosted, toStatusError(err, "ENGINE_FAILED"));
      }
    });
  }

  /** The stream ended by itself: its input finished (exited) or broke (failed). */
  private async ended(hosted: Hosted, err: unknown): Promise<void> {
    if (hosted.halting || this.streams.get(hosted.key) !== hosted) return;
    if (err) {
      await this.fail(hosted, toStatusError(err, "ENGINE_FAILED"));
      return;
    }
    hosted.state = "exited";
    await hosted.telemetry?.close({ remove: true }).catch(() => undefined);
    await this.report(hosted.placement, "exited", null, hosted.startedAt ?? null);
  }

  private async fail(hosted: Hosted, error: StatusError): Promise<void> {
    if (hosted.state === "failed") return;
    hosted.state = "failed";
    this.log.warn("stream failed", { key: hosted.key, code: error.code, error: error.message });
    await hosted.stream?.stop(1_000).catch(() => undefined);
    const t = hosted.telemetry;
    if (t) {
      t.runnerLine("error", `reef-host: ${error.code}: ${error.message}`);
      await t.setState("failed", { message: error.message, component: "host" }).catch(() => undefined);
      await t.close({ remove: false }).catch(() => undefined);
    }
    await this.report(hosted.placement, "failed", error, hosted.startedAt ?? null);
  }

  /** Stops a stream on purpose (drained within its shutdown_timeout, capped by REEF_STOP_TIMEOUT). */
  private halt(hosted: Hosted, opts: { remove: boolean }): Promise<void> {
    hosted.halting ??= (async () => {
      if (this.streams.get(hosted.key) === hosted) this.streams.delete(hosted.key);
      const t = hosted.telemetry;
      if (hosted.state === "running") void t?.setState("draining");
      await hosted.stream?.stop(this.settings.stopTimeoutMs).catch(() => undefined);
      if (hosted.state !== "failed") await t?.close({ remove: opts.remove }).catch(() => undefined);
    })();
    return hosted.halting;
  }

  private async report(
    p: Placement,
    state: HostReport["state"],
    error: StatusError | null,
    startedAt: string | null,
  ): Promise<void> {
    if (this.closing) return;
    // Only this host's current placement is reported: not one that moved on or is being removed
    // meanwhile (a report written after its placement went would outlive it).
    const key = placementKey(p.pipeline, p.replica);
    const latest = this.slots.get(key)?.latest;
    if (!latest || latest.host !== this.id || latest.desired === "removed") return;
    const report: HostReport = {
      host: this.id,
      pipeline: p.pipeline,
      replica: p.replica,
      version: p.version,
      digest: p.digest,
      placedAt: p.placedAt,
      state,
      error,
      startedAt,
      updatedAt: new Date().toISOString(),
    };
    await this.buckets.reports
      .put(key, JSON.stringify(report))
      .catch((err: unknown) => this.log.warn("cannot write a report", { error: String(err) }));
  }

  /** A throw no component caught: it belongs to the stream whose work raised it (if any), which fails alone. */
  private uncaught(err: unknown): void {
    const key = this.context.getStore();
    const hosted = key ? this.streams.get(key) : undefined;
    if (!hosted) {
      this.log.error("uncaught error outside any stream (the host goes on)", { error: String(err) });
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    void this.fail(hosted, { code: "STREAM_CRASHED", message: `the stream threw: ${message}` });
  }

  /** A stream's share of the host's memory (the heartbeat's memoryBytes). */
  private memoryShare(): number {
    return Math.round(process.memoryUsage.rss() / Math.max(1, this.counts().running));
  }
}

/**
 * The config as the built-in engine loads it; what it lacks, and the components that start
 * processes (`command`, `subprocess`), are HOST_UNSUPPORTED (a host runs only the built-in engine,
 * never a Benthos binary nor any other program), other mistakes INVALID_CONFIG.
 */
function loadForHost(text: string, env: NodeJS.ProcessEnv) {
  let config;
  try {
    config = loadConfig(text, { env });
  } catch (err) {
    const issues = (err as { issues?: { message: string }[] }).issues ?? [];
    const missing = issues.filter((i) => /does not support/.test(i.message));
    if (missing.length) {
      throw new HostUnsupportedError(
        `the host executor runs only reef's built-in engine, which lacks what this config needs: ${missing.map((i) => i.message.replace(/ \(run it with.*\)$/, "")).join("; ")}. Run this pipeline with the process, docker or ecs executor and a Benthos binary`,
      );
    }
    throw err;
  }
  const binaries = config.components.filter((c) => RUNS_BINARIES.includes(c));
  if (binaries.length) {
    throw new HostUnsupportedError(
      `a reef host runs no binaries, and this config starts processes: ${binaries.join(", ")}. Run this pipeline with the process, docker or ecs executor`,
    );
  }
  return config;
}

/** Components of the built-in engine that start processes: a host, shared by many streams, runs none. */
const RUNS_BINARIES = ["processor command", "processor subprocess"];

function mib(n: number): string {
  return `${Math.round(n / 1024 / 1024)} MiB`;
}

function stderrLog(host: string): Log {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, host, message, ...fields })}\n`,
    );
  return { info: line("info"), warn: line("warn"), error: line("error") };
}
