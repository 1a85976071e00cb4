// lib/pipelines: the pipeline lifecycle shared by the `reef` CLI and the HTTP api function —
// manifests, immutable versions, compare-and-set definition changes, lint at publish, diff, graph.
export { Pipelines, checkId } from "./service";
export type {
  PipelineInput,
  WriteOptions,
  WriteResult,
  PipelineView,
  VersionsView,
  DiffView,
  GraphView,
  LogsView,
  LogLineView,
  HistoryView,
  ChainVerification,
  PipelinesOptions,
  HealthView,
  TopRow,
} from "./service";
export { openPipelines, withPipelines } from "./connect";
export type { OpenPipelines } from "./connect";
export {
  loadManifests,
  loadManifestFile,
  parseManifests,
  findManifestFiles,
  manifestSchema,
} from "./manifest";
export type { Manifest } from "./manifest";
export { listVersions, compareVersions, nextVersion, resolveVersion } from "./versions";
export type { VersionInfo, VersionChoice } from "./versions";
export { autoscaleIssue, createLinter, lintBinary, parseLintOutput } from "./lint";
export type { Linter, LintResult } from "./lint";
export { configToMermaid, pipelinesToMermaid } from "./graph";
export type { GraphPipeline, GraphTriggers } from "./graph";
export * from "./errors";
