// The task definition of one pipeline version (pure): what RegisterTaskDefinition receives.
import { createHash } from "node:crypto";
import type { RegisterTaskDefinitionCommandInput } from "@aws-sdk/client-ecs";
import { RUNNER_ENV, RUNNER_USER, runnerEnv } from "../env";
import type { EcsConfig } from "./config";
import { CLUSTER_TAG, familyName, pipelineTags, SPEC_TAG, toTagList } from "./names";

/** The container's name inside every reef task definition. */
export const CONTAINER_NAME = "runner";

// The runner's only writable place under a read-only root: an ephemeral task volume (Fargate has
// no tmpfs; the volume starts with the image's /tmp and its permissions).
const TMP_VOLUME = "tmp";

// Credentials never go into a task definition in clear: they come from Secrets Manager.
const CREDENTIAL_ENV = new Set(["NATS_CREDS", "NATS_TOKEN", "NATS_USER", "NATS_PASSWORD"]);

export interface TaskDefinitionRequest {
  input: RegisterTaskDefinitionCommandInput;
  /** Hash of everything but the tags: equal hashes mean an existing revision can be reused. */
  spec: string;
}

export function taskDefinitionRequest(
  config: EcsConfig,
  pipeline: string,
  version: string,
  digest: string,
  env: NodeJS.ProcessEnv,
): TaskDefinitionRequest {
  const runner = runnerEnv({ pipeline, version, digest, replica: 0 }, env);
  // One task definition serves every replica, so a per-replica value has no place in it.
  delete runner[RUNNER_ENV.replica];
  const environment = Object.entries(runner)
    .filter(([name]) => !CREDENTIAL_ENV.has(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  const secrets = config.natsCredsSecretArn
    ? config.natsCredsSecretKeys.map((key) => ({
        name: key,
        // <secret-arn>:<json-key>:<version-stage>:<version-id>
        valueFrom: `${config.natsCredsSecretArn}:${key}::`,
      }))
    : [];
  const base: RegisterTaskDefinitionCommandInput = {
    family: familyName(pipeline),
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: config.cpu,
    memory: config.memory,
    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: config.cpuArchitecture },
    ...(config.taskRoleArn ? { taskRoleArn: config.taskRoleArn } : {}),
    ...(config.executionRoleArn ? { executionRoleArn: config.executionRoleArn } : {}),
    volumes: [{ name: TMP_VOLUME }],
    containerDefinitions: [
      {
        name: CONTAINER_NAME,
        image: config.image,
        essential: true,
        // Hardened like the Docker executor's containers: non-root, no capabilities, read-only root.
        user: RUNNER_USER,
        readonlyRootFilesystem: true,
        linuxParameters: { capabilities: { drop: ["ALL"] }, initProcessEnabled: true },
        mountPoints: [{ sourceVolume: TMP_VOLUME, containerPath: "/tmp", readOnly: false }],
        environment,
        ...(secrets.length ? { secrets } : {}),
        // The runner forwards SIGTERM to the engine; give it time to flush.
        stopTimeout: 30,
        ...(config.logGroup
          ? {
              logConfiguration: {
                logDriver: "awslogs",
                options: {
                  "awslogs-group": config.logGroup,
                  "awslogs-region": config.region!,
                  "awslogs-stream-prefix": familyName(pipeline),
                },
              },
            }
          : {}),
      },
    ],
  };
  const spec = createHash("sha256")
    .update(JSON.stringify({ cluster: config.cluster, base }))
    .digest("hex")
    .slice(0, 32);
  return {
    input: {
      ...base,
      tags: toTagList({
        ...pipelineTags(pipeline, version, digest),
        [SPEC_TAG]: spec,
        [CLUSTER_TAG]: config.cluster,
      }),
    },
    spec,
  };
}
