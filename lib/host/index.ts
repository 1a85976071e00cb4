// lib/host: the reef host process (many executions as streams of the built-in engine) and the
// placement protocol (internal KV buckets) the host executor speaks with it.
export { ReefHost, type ReefHostOptions } from "./host";
export { runHostFromEnv } from "./main";
export {
  HostBuckets,
  hostSettingsFromEnv,
  placementKey,
  type HostRecord,
  type HostReport,
  type HostSettings,
  type Keyed,
  type Placement,
} from "./buckets";
export { HostError, HostUnsupportedError, NoHostError, type HostErrorCode } from "./errors";
