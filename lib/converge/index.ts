// lib/converge: the planner and the reconciler. The public surface; tests reach the rest through ./internal.
export { plan } from "./plan";
export type { Desired } from "./plan";
export { converge, reconcile, resolveDesired } from "./converge";
export type { ConvergeDeps, ConvergeResult, ReconcileResult } from "./converge";
export { convergeDepsFromEnv, closeConvergeDeps, closeAfterLocalInvoke } from "./context";
