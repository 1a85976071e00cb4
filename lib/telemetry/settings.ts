// Telemetry settings from the environment (README "Telemetry"). The names and retention of the
// bucket and stream are the store's (lib/store); these are how executions report.
import { settingsFrom } from "../config";

export interface TelemetrySettings {
  /** REEF_HEARTBEAT_INTERVAL: how often an execution writes its heartbeat (default 5 s). */
  heartbeatIntervalMs: number;
  /** REEF_LOGS_RATE: log lines per second an execution may publish (burst: as many); the rest are counted and dropped. */
  logsPerSecond: number;
  /** Longer log lines are cut (a line is one NATS message). */
  maxLineBytes: number;
}

export function telemetrySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  const s = settingsFrom(env);
  return { heartbeatIntervalMs: s.heartbeatInterval, logsPerSecond: s.logsRate, maxLineBytes: 16 * 1024 };
}
