// A Benthos / Redpanda Connect binary's own metrics: the runner starts it with its HTTP server on a
// free loopback port and reads its Prometheus `/metrics` (Benthos's names: input_received,
// output_sent, output_error, processor_error, output_latency_ns) every heartbeat.
import { createServer } from "node:net";
import type { Lag, LastError } from "../model";
import { processRss, withTimeout, type EngineSample, type SampleSource } from "./sample";

export type BenthosMetrics = Pick<EngineSample, "counters" | "latencyMs">;

/**
 * Maps Benthos's Prometheus text to a sample: received at the root input, sent and write latency at
 * the root output, errors of the root output plus every processor (Benthos counts a processor
 * error where it happened, once).
 */
export function benthosMetrics(text: string): BenthosMetrics {
  const samples = parsePrometheusText(text);
  const total = (name: string, path?: string) =>
    samples
      .filter((s) => s.name === name && (path === undefined || s.labels.path === path))
      .reduce((n, s) => n + s.value, 0);
  const quantile = (q: string) =>
    samples.find(
      (s) => s.name === "output_latency_ns" && s.labels.path === "root.output" && s.labels.quantile === q,
    )?.value ?? 0;
  return {
    counters: {
      received: total("input_received", "root.input"),
      sent: total("output_sent", "root.output"),
      errors: total("output_error", "root.output") + total("processor_error"),
    },
    latencyMs: { p50: quantile("0.5") / 1e6, p99: quantile("0.99") / 1e6 },
  };
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;

/**
 * The samples of Prometheus text exposition (version 0.0.4): `name{labels} value [timestamp]`;
 * comments skipped. (npm's only parser, parse-prometheus-text-format, unmaintained since 2019,
 * merges summaries that differ by label, which is how Benthos labels every component.)
 */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = SAMPLE_LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    out.push({ name: m[1], labels, value: num(m[3]) });
  }
  return out;
}

function num(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

export interface PrometheusSourceOptions {
  /** The binary's metrics URL, e.g. http://127.0.0.1:4195/metrics. */
  url: string;
  /** The engine's pid, for its memory. */
  pid: () => number | undefined;
  /** The last error line the engine logged (the runner reads its output). */
  lastError: () => LastError | null;
  /** The consumer lag, when the input is a JetStream consumer the runner can name. */
  lag?: () => Promise<Lag>;
  timeoutMs?: number;
}

/** Scrapes the binary once per call; an unreachable endpoint keeps the last good numbers. */
export function prometheusSource(opts: PrometheusSourceOptions): SampleSource {
  let last: BenthosMetrics = { counters: { received: 0, sent: 0, errors: 0 }, latencyMs: { p50: 0, p99: 0 } };
  const timeoutMs = opts.timeoutMs ?? 2_000;
  return async () => {
    try {
      const res = await fetch(opts.url, { signal: AbortSignal.timeout(timeoutMs) });
      if (res.ok) last = benthosMetrics(await res.text());
    } catch {
      // not up yet, or busy: the next heartbeat tries again
    }
    const pid = opts.pid();
    return {
      ...last,
      inFlight: null,
      lastError: opts.lastError(),
      memoryBytes: (pid && processRss(pid)) || null,
      lag: opts.lag ? await withTimeout(opts.lag(), timeoutMs).catch(() => null) : null,
    };
  };
}

/** A free TCP port on the loopback interface (for the binary's HTTP server). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
