// lib/bridge: KV changes of `pipelines` → `converge` invocations (level-triggered, at-least-once),
// every handled change recorded in the events stream, `reconcile` as the safety net.
// The public surface; the parts tests drive directly are in ./internal.
export { Bridge } from "./bridge";
export type { BridgeOptions, BridgeStats } from "./bridge";
export { bridgeConfigFromEnv } from "./config";
export type { BridgeConfig } from "./config";
export { BridgeError } from "./errors";
export type { BridgeErrorCode } from "./errors";
export type { ChangeRecord } from "./record";
export { bridgeLogger, startBridge } from "./run";
export type { RunningBridge } from "./run";
