// lib/telemetry: heartbeats, health folding and logs over NATS (CONTRACT.md §6). Depends on model and store.
export { telemetrySettingsFromEnv } from "./settings";
export type { TelemetrySettings } from "./settings";
export { HeartbeatWriter } from "./heartbeat";
export type { ExecutionIdentity, HeartbeatWriterOptions } from "./heartbeat";
export { builtinSource, EMPTY_SAMPLE } from "./sample";
export type { EngineSample, SampleSource } from "./sample";
export { benthosMetrics, prometheusSource, freeLoopbackPort } from "./prometheus";
export { foldHealth, stalled, MISSED_INTERVALS } from "./health";
export type { HealthInput, ObservedExecution, ReplicaReport } from "./health";
export { observeHealth, unknownHealth } from "./observe";
export { LogPublisher, levelOf, componentOf, messageOf, lineSplitter } from "./logs";
export { ExecutionTelemetry, configuredConsumerLag } from "./execution";
export { HealthMonitor } from "./monitor";
export type { HealthMonitorOptions } from "./monitor";
export { prometheusExposition } from "./exposition";
export { decideReplicas, lagSamples, freshWithin, redecide } from "./autoscale";
export type { LagSample, ScaleInput, ScaleDecision } from "./autoscale";
