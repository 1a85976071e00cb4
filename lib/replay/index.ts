// lib/replay: replay recorded changes (or KV history) through converge: dry run (plan only, now and
// then), live (the real converge function), or export as Lambda event files.
export { ReplayError } from "./errors";
export type { ReplayErrorCode } from "./errors";
export { selectEvents, selectHistory, itemFromStoredEvent, parseSeqRange, retentionNote } from "./select";
export type { ReplayItem } from "./select";
export { dryRunStep } from "./dryrun";
export type { DryRunStep, DryRunDeps, PlanView } from "./dryrun";
export { liveStep, liveTargetFrom, createLiveInvoker, describeTarget } from "./live";
export type { LiveStep, LiveTarget } from "./live";
export { exportStep, exportFileName } from "./export";
export type { ExportedFile } from "./export";
export { runReplay } from "./run";
export type { ReplayRun, ReplayProgress } from "./run";
export { withStore } from "./connect";
export { eventsTable, verifyText, dryRunText, liveText } from "./format";
