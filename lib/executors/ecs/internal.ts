// The ECS executor's parts below its public surface (./index), for tests: not for other modules.
export * from "./index";
export { serviceExecutions } from "./observe";
export { isRetryable } from "./retry";
