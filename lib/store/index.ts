// lib/store: everything reef keeps in NATS JetStream. The public surface: no NATS handle leaves
// lib/store (the raw handles are in ./internal, for tests).
export { natsCredentialEnv, DEFAULT_NATS_URL } from "./connection";
export type { ConnectOptions } from "./connection";
export { storeNamesFromEnv } from "./names";
export type { StoreNames } from "./names";
export { Store, LeaseBusyError, configDigest, configObjectName } from "./store";
export { RevisionConflictError } from "./errors";
export { subscribeChanges } from "./changes";
export type { ChangeSubscriptionOptions, ChangeTicket } from "./changes";
export type { Bucket, BucketEntry, Conditional } from "./bucket";
export type {
  StoreOptions,
  ConfigInfo,
  EventsRetention,
  PendingReply,
  SubjectMessage,
  DefinitionEntry,
  StoredConfig,
  HeartbeatEntry,
  HeartbeatChange,
  LogLine,
  StoredLogLine,
  LogQuery,
} from "./store";
export {
  appendEvent,
  eventRow,
  readEvents,
  iterateEvents,
  verifyChains,
  isFailed,
  recordHash,
  canonicalJson,
  EventAppendError,
} from "./events";
export {
  eventsRetentionFromEnv,
  logsRetentionFromEnv,
  heartbeatIntervalFromEnv,
  parseSecondsOrDuration,
} from "./retention";
export type {
  EventRecordInput,
  EventRow,
  EventRecord,
  RecordTrigger,
  ScaleRecord,
  RecordedEvent,
  RecordedResult,
  StoredEvent,
  EventFilter,
  AppendOptions,
  VerifyReport,
  ChainProblem,
  ChainProblemKind,
  ChainSummary,
} from "./events";
