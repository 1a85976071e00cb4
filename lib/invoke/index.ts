// lib/invoke: calling reef's functions (converge, reconcile) through Lambda or in this process.
export { createInvoker, functionName, InProcessInvoker, LambdaInvoker } from "./invoker";
export type { Invoker, InvokeOptions, InvokerOptions, LambdaInvokerOptions } from "./invoker";
export { FunctionRejectedError, InvokeError } from "./errors";
export type { InvokeErrorCode } from "./errors";
