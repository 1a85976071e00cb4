// lib/context: what every entry point works with, opened one way (./open.ts), and the functions'
// one-per-container context (./lambda.ts).
export { openContext } from "./open";
export type { ReefContext, ContextOptions } from "./open";
export { functionContext, closeFunctionContext, closeAfterLocalInvoke } from "./lambda";
export { reefLogger } from "./logger";
