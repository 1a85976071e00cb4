// lib/converge: the planner, carrying plans out (applyPlan) and the reconciler.
export { plan } from "./plan";
export type { Desired } from "./plan";
export { applyPlan } from "./apply";
export type { ApplyOptions } from "./apply";
export { converge, reconcile, resolveDesired, triggerJob } from "./converge";
export { JobTriggerError } from "./job";
export type { TriggerRequest } from "./job";
export type { TriggerAnswer } from "./converge";
export type { ConvergeDeps, ConvergeOptions, ConvergeResult, ReconcileResult } from "./converge";
export { abortBeforeTimeout, functionDeps, convergeDepsOf } from "./context";
export { decideScaling, decideAsRecorded } from "./autoscale";
export type { ScaleRequest, Scaling } from "./autoscale";
