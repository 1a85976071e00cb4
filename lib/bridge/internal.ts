// The bridge's parts below its public surface (./index), for tests: not for other modules.
export * from "./index";
export { keepNewestChange } from "./bridge";
export type { Work } from "./bridge";
export { Dispatcher } from "./dispatcher";
export type { Ticket, DispatcherOptions } from "./dispatcher";
export { writeFailedStatus } from "./failed-status";
export { writeChangeRecord } from "./record";
