// lib/converge: the planner and the reconciler.
export { plan } from "./plan";
export type { Desired } from "./plan";
export { buildStatus, phaseOf } from "./status";
export { converge, reconcile, resolveDesired } from "./converge";
export type { ConvergeDeps, ConvergeResult, ReconcileResult, Log } from "./converge";
export { convergeDepsFromEnv, closeConvergeDeps, closeAfterLocalInvoke } from "./context";
