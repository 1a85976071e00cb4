// What an engine tells about itself at one moment: the raw material of a heartbeat. The runner
// reads it from the built-in engine directly, or from a Benthos binary's Prometheus endpoint.
import { readFileSync } from "node:fs";
import type { RunningStream } from "../engine";
import type { Counters, Lag, LastError } from "../model";

export interface EngineSample {
  counters: Counters;
  latencyMs: { p50: number; p99: number };
  /** null where the engine does not say (Benthos binaries). */
  inFlight: number | null;
  lastError: LastError | null;
  memoryBytes: number | null;
  lag: Lag | null;
}

export type SampleSource = () => Promise<EngineSample>;

export const EMPTY_SAMPLE: EngineSample = {
  counters: { received: 0, sent: 0, errors: 0 },
  latencyMs: { p50: 0, p99: 0 },
  inFlight: 0,
  lastError: null,
  memoryBytes: null,
  lag: null,
};

/** The built-in engine: its own counters, no scraping. */
export function builtinSource(
  stream: RunningStream,
  probeTimeoutMs = 2_000,
  /** The stream's share of memory; default the process's RSS (one stream per process). */
  memoryBytes: () => number | null = () => process.memoryUsage.rss(),
): SampleSource {
  return async () => {
    const t = stream.telemetry();
    return {
      counters: { received: t.received, sent: t.sent, errors: t.errors },
      latencyMs: t.latencyMs,
      inFlight: t.inFlight,
      lastError: t.lastError,
      memoryBytes: memoryBytes(),
      lag: t.lag ? await withTimeout(t.lag(), probeTimeoutMs).catch(() => null) : null,
    };
  };
}

/** Resident memory of a process (Linux /proc), else null. */
export function processRss(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)),
    ),
  ]).finally(() => clearTimeout(timer));
}
