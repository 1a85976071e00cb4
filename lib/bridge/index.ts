// lib/bridge: KV changes of `pipelines` → `converge` invocations (level-triggered, at-least-once),
// every handled change recorded in the events stream, `reconcile` as the safety net.
export { Bridge } from "./bridge";
export type { BridgeOptions, BridgeStats } from "./bridge";
export { bridgeConfigFromEnv, parseDuration } from "./config";
export type { BridgeConfig } from "./config";
export { changeEventOf, superviseConsumer } from "./consumer";
export { Dispatcher } from "./dispatcher";
export type { Ticket, DispatcherOptions } from "./dispatcher";
export { BridgeError } from "./errors";
export type { BridgeErrorCode } from "./errors";
export { writeFailedStatus } from "./failed-status";
export { createInvoker, functionName, InProcessInvoker, LambdaInvoker } from "./invoker";
export type { Invoker, LambdaInvokerOptions } from "./invoker";
export { writeChangeRecord } from "./record";
export type { ChangeRecord } from "./record";
export { bridgeLogger, startBridge } from "./run";
export type { RunningBridge } from "./run";
