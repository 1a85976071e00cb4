// lib/executors/docker: runs each pipeline replica as a Docker container (see README.md).
// The public surface; tests reach the executor's parts through ./internal.
export {
  createDockerExecutor,
  DockerExecutor,
  containerName,
  runContainerName,
  SCOPE_LABEL,
} from "./executor";
export { dockerAnswers } from "./client";
export { dockerSettings, DEFAULT_RUNNER_IMAGE } from "./settings";
export type { DockerSettings } from "./settings";
export { ensureLocalRunnerImage } from "./local-image";
export type { LocalImageOptions, LocalImageResult } from "./local-image";
