// The Docker executor's parts below its public surface (./index), for tests: not for other modules.
export * from "./index";
export { dockerOptions } from "./client";
export { parseMemory } from "./settings";
export { sharedLibraries } from "./local-image";
export { demuxBuffer, LogDemuxer } from "./logs";
export { failureFrom, stateOf } from "./state";
export type { ContainerInfo } from "./state";
