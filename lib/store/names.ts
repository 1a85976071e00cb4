// Bucket and stream names (CONTRACT.md §1); every one can be overridden by env.

export interface StoreNames {
  pipelines: string;
  configs: string;
  status: string;
  events: string;
  /** Subjects of the events stream are `<eventsSubject>.<id>`. */
  eventsSubject: string;
  /** Internal: per-pipeline converge leases (entries expire by themselves). */
  leases: string;
  /** KV of execution heartbeats, key `<id>.<replica>` (entries of dead executions expire). */
  health: string;
  /** Stream of execution log lines, subjects `<logsSubject>.<id>.<replica>`. */
  logs: string;
  logsSubject: string;
  /** Internal (host executor): KV of live reef hosts, key = host id (entries expire with the host's TTL). */
  hosts: string;
  /** Internal (host executor): KV of placements, key `<id>.<replica>`, written by converge. */
  placements: string;
  /** Internal (host executor): KV of what hosts report per placement, key `<id>.<replica>`. */
  hostReports: string;
}

export function storeNamesFromEnv(env: NodeJS.ProcessEnv = process.env): StoreNames {
  return {
    pipelines: env.REEF_PIPELINES_BUCKET || "pipelines",
    configs: env.REEF_CONFIGS_BUCKET || "pipeline-configs",
    status: env.REEF_STATUS_BUCKET || "pipeline-status",
    events: env.REEF_EVENTS_STREAM || "PIPELINE_EVENTS",
    eventsSubject: env.REEF_EVENTS_SUBJECT || "reef.events",
    leases: env.REEF_LEASES_BUCKET || "reef-leases",
    health: env.REEF_HEALTH_BUCKET || "pipeline-health",
    logs: env.REEF_LOGS_STREAM || "PIPELINE_LOGS",
    logsSubject: env.REEF_LOGS_SUBJECT || "reef.logs",
    hosts: env.REEF_HOSTS_BUCKET || "reef-hosts",
    placements: env.REEF_PLACEMENTS_BUCKET || "reef-placements",
    hostReports: env.REEF_HOST_REPORTS_BUCKET || "reef-host-reports",
  };
}
