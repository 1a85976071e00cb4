// reef's built-in Benthos-compatible stream engine: config loading and lint, running streams,
// and config unit tests. Everything else in lib/engine is internal.
export { CONFIG_LIMITS, lint, loadConfig, reefOnlyComponents } from "./config";
export { escapeEnv, expandEnv, type MissingEnvVar } from "./config/env";
export type { ComponentConfig, EngineConfig, LintIssue } from "./config";
export { startStream, type RunningStream, type StreamOptions, type StreamTelemetry } from "./runtime/stream";
export { NatsPool } from "./runtime/nats";
export type { ComponentMetrics, ComponentError, ConsumerLag } from "./runtime/metrics";
export { runConfigTests, type TestCaseResult, type TestFileResult, type TestReport } from "./testing";
export { EngineConfigError, EngineError, RejectedError } from "./errors";
