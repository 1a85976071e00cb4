// Retention and timing settings of reef's streams and buckets (lib/config parses them).
import { settingsFrom } from "../config";
import { DURATION_FORM, durationMs, InvalidSettingError } from "../model";

/**
 * Retention of the events stream from REEF_EVENTS_MAX_AGE (a duration: `30d`, `12h`, `90m`) and
 * REEF_EVENTS_MAX_BYTES (`1073741824`, `512MiB`, `1GiB`, `500MB`). Pass the result to `Store.open`;
 * it applies when the stream is created (an existing stream is never reconfigured).
 */
export function eventsRetentionFromEnv(env: NodeJS.ProcessEnv = process.env): {
  eventsMaxAgeMs?: number;
  eventsMaxBytes?: number;
} {
  const s = settingsFrom(env);
  return {
    ...(s.eventsMaxAge !== undefined ? { eventsMaxAgeMs: s.eventsMaxAge } : {}),
    ...(s.eventsMaxBytes !== undefined ? { eventsMaxBytes: s.eventsMaxBytes } : {}),
  };
}

/** Retention of the logs stream from REEF_LOGS_MAX_AGE / REEF_LOGS_MAX_BYTES (CONTRACT.md §6). */
export function logsRetentionFromEnv(env: NodeJS.ProcessEnv = process.env): {
  logsMaxAgeMs?: number;
  logsMaxBytes?: number;
} {
  const s = settingsFrom(env);
  return {
    ...(s.logsMaxAge !== undefined ? { logsMaxAgeMs: s.logsMaxAge } : {}),
    ...(s.logsMaxBytes !== undefined ? { logsMaxBytes: s.logsMaxBytes } : {}),
  };
}

/** reef's one duration format (lib/model/duration.ts) for a flag, or an InvalidSettingError naming it. */
export function parseSecondsOrDuration(text: string, what = "duration"): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new InvalidSettingError(what, text, DURATION_FORM);
  return ms;
}

/**
 * REEF_HEARTBEAT_INTERVAL (default 5 s): how often executions write their heartbeat. The control
 * plane reads it too: "no heartbeat for 3 intervals" and the heartbeat bucket's TTL derive from it.
 */
export function heartbeatIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return settingsFrom(env).heartbeatInterval;
}
