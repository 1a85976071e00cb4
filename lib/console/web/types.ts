// The API's answers as the console reads them (the OpenAPI document at /openapi.json is the
// reference). Fields from the telemetry of CONTRACT.md §6 are optional: the console shows them when
// the API sends them.

export type DesiredStatus = "draft" | "published" | "paused";

export interface StatusError {
  code: string;
  message: string;
}

export interface Definition {
  id: string;
  name?: string;
  description?: string | null;
  status: DesiredStatus;
  version?: string;
  replicas: number;
  labels?: Record<string, string>;
  mode?: string;
  /** Replicas follow the input's lag between min and max (CONTRACT.md §6). */
  autoscale?: { min: number; max: number; targetPending: number; cooldown: string };
}

export interface Rates {
  received?: number;
  sent?: number;
  errors?: number;
}

export interface LastError {
  message: string;
  component?: string;
  at?: string;
}

export interface Health {
  state: string;
  replicasReporting?: number;
  rates?: Rates | null;
  lag?: { pending?: number; ackPending?: number } | null;
  lastError?: LastError | null;
  updatedAt?: string;
}

export interface ExecutionView {
  id: string;
  state: string;
  version: string;
  replica?: number;
  error?: StatusError;
}

export interface Observed {
  id: string;
  phase: string;
  desired: string | null;
  version: string | null;
  revision: number;
  executor: string;
  executions: ExecutionView[];
  error: StatusError | null;
  updatedAt: string;
  health?: Health | null;
  replicas?: { desired: number; current: number; reason?: string } | null;
  /** A job's last runs, newest first (CONTRACT.md §8). */
  runs?: RunRecord[];
}

export interface RunRecord {
  run: string;
  trigger: string;
  startedAt: string;
  endedAt: string | null;
  state: string;
  exitCode: number | null;
  error: StatusError | null;
  attempt?: number;
}

export interface PipelineView {
  id: string;
  revision: number;
  updatedAt: string;
  definition: Definition | null;
  definitionError: StatusError | null;
  observed: Observed | null;
  /** Live health (GET /pipelines folds it from the current heartbeats). */
  health?: Health | null;
}

export interface VersionInfo {
  version: string;
  digest: string;
  size: number;
  /** null when unknown (the writer left the modification time unset) */
  createdAt: string | null;
}

export interface VersionsView {
  id: string;
  current: string | null;
  versions: VersionInfo[];
}

export interface DiffView {
  id: string;
  from: string;
  to: string;
  patch: string;
  identical: boolean;
}

export interface GraphView {
  id: string;
  version: string;
  mermaid: string;
}

export interface EventRow {
  seq: number;
  time: string;
  operation: string | null;
  revision: number | null;
  outcome: string;
  phase: string | null;
  actions: string[];
  error: StatusError | null;
  durationMs: number | null;
  attempts: number | null;
}

export interface HistoryView {
  id: string;
  events: EventRow[];
  total: number;
  verification: {
    ok: boolean;
    records: number;
    startsAfterRetention: boolean;
    problems: { kind: string; seq: number; message: string }[];
  };
}

/** One replica's heartbeat (CONTRACT.md §6), from GET /pipelines/{id}/health. */
export interface Heartbeat {
  id?: string;
  replica: number;
  execution?: string;
  version?: string;
  engine?: string;
  state: string;
  startedAt?: string;
  updatedAt?: string;
  counters?: Rates;
  rates?: Rates;
  latencyMs?: { p50?: number; p99?: number };
  inFlight?: number;
  lag?: { pending?: number; ackPending?: number } | null;
  lastError?: LastError | null;
  memoryBytes?: number;
}

/** GET /pipelines/{id}/health: the live fold and each replica's current heartbeat. */
export interface HealthView {
  health: Health | null;
  replicas: Heartbeat[];
}

export interface LogLine {
  seq: number;
  time: string;
  level: string;
  message: string;
  replica: number;
}

export interface LogsView {
  id: string;
  lines: LogLine[];
  lastSeq: number | null;
}

export interface LintIssue {
  path: string;
  line: number;
  column: number;
  message: string;
  level: "error" | "warning";
}

export interface WriteResult {
  id: string;
  action: "created" | "updated" | "unchanged" | "deleted";
  revision: number | null;
  version: string | null;
  status: DesiredStatus | null;
  changes: string[];
  lint?: { linter: string; issues: LintIssue[] };
}

export type ConsoleAuth =
  | { mode: "none" }
  | { mode: "api-key"; header: string }
  | { mode: "oidc"; authority: string; clientId: string; scope: string }
  | { mode: "unavailable"; reason: string };

export interface ConsoleSettings {
  auth: ConsoleAuth;
  apiBase: string;
}

/** What the API offers beyond the lifecycle (from its OpenAPI document). */
export interface Features {
  /** GET /pipelines/{id}/health (telemetry). */
  health: boolean;
  /** GET /pipelines/{id}/logs (PIPELINE_LOGS). */
  logs: boolean;
}
