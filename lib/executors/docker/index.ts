// lib/executors/docker: runs each pipeline replica as a Docker container (see README.md).
export { createDockerExecutor, DockerExecutor, containerName, SCOPE_LABEL } from "./executor";
export { dockerAnswers, dockerClient, dockerOptions } from "./client";
export { dockerSettings, DEFAULT_RUNNER_IMAGE, CREDS_MOUNT } from "./settings";
export { RUNNER_USER } from "../env";
export type { DockerSettings } from "./settings";
export { ensureLocalRunnerImage, findRunnerBundle, sharedLibraries, CONTENT_HASH_LABEL } from "./local-image";
export type { LocalImageOptions, LocalImageResult } from "./local-image";
export { failureFrom, stateOf, STOPPED_POLICY, RUNNING_POLICY } from "./state";
