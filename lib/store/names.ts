// Bucket and stream names (CONTRACT.md §1); every one can be overridden by env.
import { settingsFrom } from "../config";

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
  const s = settingsFrom(env);
  return {
    pipelines: s.pipelinesBucket,
    configs: s.configsBucket,
    status: s.statusBucket,
    events: s.eventsStream,
    eventsSubject: s.eventsSubject,
    leases: s.leasesBucket,
    health: s.healthBucket,
    logs: s.logsStream,
    logsSubject: s.logsSubject,
    hosts: s.hostsBucket,
    placements: s.placementsBucket,
    hostReports: s.hostReportsBucket,
  };
}
