// Logs over NATS (CONTRACT.md §6): every line an execution writes is published on
// `reef.logs.<id>.<replica>` as { time, level, message, replica } and kept in PIPELINE_LOGS.
// A token bucket bounds the rate per execution; dropped lines are counted and reported in a line.
import type { LogLine } from "../store";

export interface LogPublisherOptions {
  publish: (line: LogLine) => void;
  /** The replica lines are published as; read at each line (a claimed slot may come later). */
  replica: () => number | undefined;
  perSecond: number;
  maxLineBytes: number;
  now?: () => number;
}

export class LogPublisher {
  private tokens: number;
  private refilledAt: number;
  private dropped = 0;
  private readonly now: () => number;
  /** Lines written before the replica was known (ECS claims a slot first): sent once it is. */
  private early: LogLine[] = [];

  constructor(private readonly opts: LogPublisherOptions) {
    this.now = opts.now ?? Date.now;
    this.tokens = opts.perSecond;
    this.refilledAt = this.now();
  }

  /** Lines dropped by the rate limit so far (reported in the log itself as they are). */
  get droppedLines(): number {
    return this.dropped;
  }

  line(level: string, message: string): void {
    const now = this.now();
    this.tokens = Math.min(
      this.opts.perSecond,
      this.tokens + ((now - this.refilledAt) / 1000) * this.opts.perSecond,
    );
    this.refilledAt = now;
    if (this.tokens < 1) {
      this.dropped++;
      this.pendingDropped++;
      return;
    }
    if (this.pendingDropped > 0 && this.tokens >= 2) {
      this.tokens--;
      this.send(
        "warn",
        `reef: ${this.pendingDropped} log lines dropped (more than ${this.opts.perSecond} lines/s; REEF_LOGS_RATE)`,
        now,
      );
      this.pendingDropped = 0;
    }
    this.tokens--;
    this.send(level, message, now);
  }

  private pendingDropped = 0;

  /** Reports lines dropped since the last report, if any (at shutdown). */
  flushDropped(): void {
    if (this.pendingDropped === 0) return;
    this.send(
      "warn",
      `reef: ${this.pendingDropped} log lines dropped (more than ${this.opts.perSecond} lines/s; REEF_LOGS_RATE)`,
      this.now(),
    );
    this.pendingDropped = 0;
  }

  private send(level: string, message: string, at: number): void {
    const cut =
      Buffer.byteLength(message) > this.opts.maxLineBytes
        ? Buffer.from(message).subarray(0, this.opts.maxLineBytes).toString("utf8") + "…"
        : message;
    const replica = this.opts.replica();
    const line: LogLine = { time: new Date(at).toISOString(), level, message: cut, replica: replica ?? -1 };
    if (replica === undefined) {
      if (this.early.length < 1000) this.early.push(line);
      return;
    }
    for (const e of this.early.splice(0)) this.opts.publish({ ...e, replica });
    this.opts.publish(line);
  }
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];

/**
 * The level of a line an engine wrote: Benthos's logfmt (`level=error`) or JSON (`"level":"error"`);
 * else `fallback` (info for stdout, info for stderr too: Benthos logs everything there).
 */
export function levelOf(line: string, fallback = "info"): string {
  const m = /(?:^|\s)level=("?)(\w+)\1|"level"\s*:\s*"(\w+)"/.exec(line);
  const level = (m?.[2] ?? m?.[3] ?? "").toLowerCase();
  if (level === "warning") return "warn";
  return LEVELS.includes(level) ? level : fallback;
}

/** For an engine's error lines: the component (`path=root.output` / `"path":"root.output"` / label). */
export function componentOf(line: string): string | undefined {
  const m = /(?:^|\s)path=("?)([\w.\-[\]]+)\1|"path"\s*:\s*"([^"]+)"/.exec(line);
  const path = m?.[2] ?? m?.[3];
  if (path) return path.replace(/^root\./, "");
  const l = /(?:^|\s)label=("?)([\w.-]+)\1|"label"\s*:\s*"([^"]+)"/.exec(line);
  return l?.[2] ?? l?.[3] ?? undefined;
}

/** The message of a structured line (`msg=` / `"msg"`), else the line. */
export function messageOf(line: string): string {
  const m = /(?:^|\s)msg="((?:[^"\\]|\\.)*)"|(?:^|\s)msg=(\S+)|"msg"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(line);
  const raw = m?.[1] ?? m?.[2] ?? m?.[3];
  if (raw === undefined) return line;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/** Splits a byte stream into lines; `onLine` gets each complete line. */
export function lineSplitter(onLine: (line: string) => void): {
  push(chunk: Buffer | string): void;
  end(): void;
} {
  let partial = "";
  return {
    push(chunk) {
      const parts = (partial + chunk.toString()).split("\n");
      partial = parts.pop() ?? "";
      for (const p of parts) onLine(p.replace(/\r$/, ""));
    },
    end() {
      if (partial) onLine(partial);
      partial = "";
    },
  };
}
