// Retention and timing settings of reef's streams and buckets, read from the environment.
import { DURATION_FORM, durationMs, InvalidSettingError } from "../model";

/**
 * Retention of the events stream from REEF_EVENTS_MAX_AGE (a duration: `30d`, `12h`, `90m`, or
 * milliseconds) and REEF_EVENTS_MAX_BYTES (`1073741824`, `512MiB`, `1GiB`, `500MB`). Pass the result
 * to `Store.open`; it applies when the stream is created (an existing stream is never reconfigured).
 */
export function eventsRetentionFromEnv(env: NodeJS.ProcessEnv = process.env): {
  eventsMaxAgeMs?: number;
  eventsMaxBytes?: number;
} {
  const out: { eventsMaxAgeMs?: number; eventsMaxBytes?: number } = {};
  if (env.REEF_EVENTS_MAX_AGE?.trim())
    out.eventsMaxAgeMs = parseDurationMs(env.REEF_EVENTS_MAX_AGE, "REEF_EVENTS_MAX_AGE");
  if (env.REEF_EVENTS_MAX_BYTES?.trim())
    out.eventsMaxBytes = parseBytes(env.REEF_EVENTS_MAX_BYTES, "REEF_EVENTS_MAX_BYTES");
  return out;
}

/** Retention of the logs stream from REEF_LOGS_MAX_AGE / REEF_LOGS_MAX_BYTES (CONTRACT.md §6). */
export function logsRetentionFromEnv(env: NodeJS.ProcessEnv = process.env): {
  logsMaxAgeMs?: number;
  logsMaxBytes?: number;
} {
  const out: { logsMaxAgeMs?: number; logsMaxBytes?: number } = {};
  if (env.REEF_LOGS_MAX_AGE?.trim())
    out.logsMaxAgeMs = parseDurationMs(env.REEF_LOGS_MAX_AGE, "REEF_LOGS_MAX_AGE");
  if (env.REEF_LOGS_MAX_BYTES?.trim())
    out.logsMaxBytes = parseBytes(env.REEF_LOGS_MAX_BYTES, "REEF_LOGS_MAX_BYTES");
  return out;
}

/** reef's one duration format (lib/model/duration.ts), or an InvalidSettingError naming `what`. */
export function parseSecondsOrDuration(text: string, what = "duration"): number {
  const ms = durationMs(text);
  if (ms === undefined)
    throw new InvalidSettingError(`${what}: ${JSON.stringify(text)} is not ${DURATION_FORM}`);
  return ms;
}

/**
 * REEF_HEARTBEAT_INTERVAL (default 5 s): how often executions write their heartbeat. The control
 * plane reads it too: "no heartbeat for 3 intervals" and the heartbeat bucket's TTL derive from it.
 */
export function heartbeatIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.REEF_HEARTBEAT_INTERVAL?.trim();
  if (!text) return 5_000;
  const ms = parseSecondsOrDuration(text, "REEF_HEARTBEAT_INTERVAL");
  if (ms < 100) throw new InvalidSettingError(`REEF_HEARTBEAT_INTERVAL: ${text} is below 100ms`);
  return ms;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `90m`, `12h`, `30d`, `1h30m`, or a bare number of milliseconds. */
export function parseDurationMs(text: string, what = "duration"): number {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== s) {
    throw new InvalidSettingError(`${what}: ${JSON.stringify(text)} is not a duration (like 90m, 12h, 30d)`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]], 0);
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

export function parseBytes(text: string, what = "REEF_EVENTS_MAX_BYTES"): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? BYTE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new InvalidSettingError(
      `${what}: ${JSON.stringify(text)} is not a size (like 1073741824, 512MiB, 1GiB)`,
    );
  }
  return Math.floor(Number(m[1]) * unit);
}
