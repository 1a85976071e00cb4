// Telemetry inside one execution (the runner): heartbeats and logs over NATS, whatever the engine.
// The runner calls this; everything it reports goes through the store's typed methods.
import { parseDocument } from "yaml";
import type { HeartbeatState, LastError, Lag } from "../model";
import type { Store } from "../store";
import { HeartbeatWriter, type ExecutionIdentity } from "./heartbeat";
import { componentOf, LogPublisher, levelOf, messageOf } from "./logs";
import type { SampleSource } from "./sample";
import type { TelemetrySettings } from "./settings";

export interface ExecutionTelemetryOptions {
  store: Store;
  identity: ExecutionIdentity;
  settings: TelemetrySettings;
  /** A shared ticker for the heartbeats (HeartbeatWriterOptions.every). */
  every?: (tick: () => void) => () => void;
  /** Where log lines also go locally; default stderr (a reef host keeps its own stderr quiet). */
  localLine?: (line: string) => void;
}

export class ExecutionTelemetry {
  readonly heartbeat: HeartbeatWriter;
  private readonly logs: LogPublisher;
  private engineError: LastError | null = null;

  constructor(private readonly opts: ExecutionTelemetryOptions) {
    const { store, identity, settings } = opts;
    this.heartbeat = new HeartbeatWriter({
      store,
      identity,
      intervalMs: settings.heartbeatIntervalMs,
      onError: () => undefined, // NATS away: the next interval tries again
      every: opts.every,
    });
    this.logs = new LogPublisher({
      publish: (line) => {
        try {
          store.publishLog(identity.id, line);
        } catch {
          // connection closed: the line is still in the execution's stdout/stderr
        }
      },
      replica: () => this.heartbeat.replicaNumber,
      perSecond: settings.logsPerSecond,
      maxLineBytes: settings.maxLineBytes,
    });
  }

  /** Writes the first heartbeat (`starting`), then one every interval. */
  start(): Promise<void> {
    return this.heartbeat.start();
  }

  attach(source: SampleSource): void {
    this.heartbeat.attach(source);
  }

  setState(state: HeartbeatState, error?: { message: string; component: string }): Promise<void> {
    return this.heartbeat.setState(state, error);
  }

  /** A line the runner itself writes: to stderr (local readers) and over NATS. */
  runnerLine(level: string, line: string): void {
    if (this.opts.localLine) this.opts.localLine(line);
    else process.stderr.write(`${line}\n`);
    this.logs.line(level, line);
  }

  /** A line the engine wrote (already on the execution's stdout/stderr): published with its level. */
  engineLine(line: string): void {
    if (!line.trim()) return;
    const level = levelOf(line);
    if (level === "error" || level === "fatal") {
      this.engineError = {
        message: messageOf(line),
        component: componentOf(line) ?? "engine",
        at: new Date().toISOString(),
      };
    }
    this.logs.line(level, line);
  }

  /** A built-in engine log line (its logger formats it): published as is. */
  builtinLine(level: string, line: string): void {
    this.logs.line(level.toLowerCase(), line);
  }

  /** The last error line a binary engine logged (its metrics carry none). */
  lastEngineError(): LastError | null {
    return this.engineError;
  }

  /** Last heartbeat and lines; a clean end removes the heartbeat, a failure leaves it (the bucket's TTL ends it). */
  async close(opts: { remove: boolean }): Promise<void> {
    this.logs.flushDropped();
    await this.heartbeat.close(opts);
  }
}

/**
 * For a binary engine: the lag of its `nats_jetstream` input, when the runner can name the consumer
 * (a `durable` or `queue` name; an ephemeral consumer's name only the engine knows).
 */
export function configuredConsumerLag(store: Store, configText: string): (() => Promise<Lag>) | undefined {
  let input: Record<string, unknown> | undefined;
  try {
    const root = parseDocument(configText).toJS() as { input?: { nats_jetstream?: Record<string, unknown> } };
    input = root?.input?.nats_jetstream;
  } catch {
    return undefined;
  }
  const consumer = str(input?.durable) ?? str(input?.queue);
  if (!input || !consumer) return undefined;
  const named = str(input.stream);
  const subject = str(input.subject);
  let stream: Promise<string> | undefined;
  return async () => {
    stream ??= named ? Promise.resolve(named) : store.findStream(subject ?? "");
    return store.consumerLag(await stream, consumer);
  };
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v ? v : undefined;
}
