// ECS executor configuration from the environment (REEF_ECS_*, REEF_RUNNER_IMAGE, REEF_NATS_CREDS_*).
import { settingsFrom } from "../../config";
import { z } from "zod";
import { ExecutorError } from "../../model";

export interface EcsConfig {
  /** Cluster name or ARN. */
  cluster: string;
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: boolean;
  /** The runner image (infra/aws/README.md: built and pushed to the `reef-runner` ECR repository). */
  image: string;
  /** Fargate task size: CPU units and MiB, as strings (ECS takes them so). */
  cpu: string;
  memory: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  /**
   * Secrets Manager secret holding the runners' NATS credentials as a JSON object keyed by env
   * name (e.g. `{"NATS_TOKEN":"…"}`); each of `natsCredsSecretKeys` becomes a task-definition secret.
   */
  natsCredsSecretArn?: string;
  natsCredsSecretKeys: string[];
  /** CloudWatch log group for the awslogs driver; no logging configuration when unset. */
  logGroup?: string;
  region?: string;
  cpuArchitecture: "X86_64" | "ARM64";
}

const list = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

const NATS_SECRET_KEYS = ["NATS_TOKEN", "NATS_USER", "NATS_PASSWORD"] as const;

const schema = z.object({
  cluster: z.string().min(1, { error: "REEF_ECS_CLUSTER is required (the ECS cluster name or ARN)" }),
  subnets: z.array(z.string()).min(1, { error: "REEF_ECS_SUBNETS is required (comma-separated subnet ids)" }),
  securityGroups: z.array(z.string()),
  assignPublicIp: z.boolean(),
  image: z.string().min(1, { error: "REEF_RUNNER_IMAGE is required (the runner image URI)" }),
  cpu: z.string().regex(/^\d+$/, { error: "REEF_ECS_CPU must be CPU units, e.g. 256" }),
  memory: z.string().regex(/^\d+$/, { error: "REEF_ECS_MEMORY must be MiB, e.g. 512" }),
  taskRoleArn: z.string().optional(),
  executionRoleArn: z.string().optional(),
  natsCredsSecretArn: z.string().optional(),
  natsCredsSecretKeys: z.array(
    z.enum(NATS_SECRET_KEYS, {
      error: `REEF_NATS_CREDS_SECRET_KEYS may list ${NATS_SECRET_KEYS.join(", ")}`,
    }),
  ),
  logGroup: z.string().optional(),
  region: z.string().optional(),
  cpuArchitecture: z.enum(["X86_64", "ARM64"], {
    error: "REEF_ECS_CPU_ARCHITECTURE must be X86_64 or ARM64",
  }),
});

function parseBool(name: string, value: string | undefined): boolean {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "" || v === "false" || v === "disabled" || v === "0") return false;
  if (v === "true" || v === "enabled" || v === "1") return true;
  throw new ExecutorError(`${name} must be true/false (or ENABLED/DISABLED), got ${JSON.stringify(value)}`);
}

/** Reads and validates the configuration; a missing or bad value is an ExecutorError naming the variable. */
export function ecsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EcsConfig {
  const s = settingsFrom(env);
  const raw = {
    cluster: s.ecsCluster ?? "",
    subnets: list(s.ecsSubnets),
    securityGroups: list(s.ecsSecurityGroups),
    assignPublicIp: parseBool("REEF_ECS_ASSIGN_PUBLIC_IP", s.ecsAssignPublicIp),
    image: s.runnerImage ?? "",
    cpu: s.ecsCpu ?? "256",
    memory: s.ecsMemory ?? "512",
    taskRoleArn: s.ecsTaskRoleArn,
    executionRoleArn: s.ecsExecutionRoleArn,
    natsCredsSecretArn: s.natsCredsSecretArn,
    natsCredsSecretKeys: s.natsCredsSecretArn ? list(s.natsCredsSecretKeys ?? "NATS_TOKEN") : [],
    logGroup: s.ecsLogGroup,
    region: s.awsRegion ?? s.awsDefaultRegion,
    cpuArchitecture: (s.ecsCpuArchitecture ?? "X86_64").toUpperCase(),
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ExecutorError(`ECS executor configuration: ${parsed.error.issues[0].message}`);
  }
  const config = parsed.data;
  if ((config.natsCredsSecretArn || config.logGroup) && !config.executionRoleArn) {
    // Fargate pulls secrets and writes awslogs with the execution role.
    throw new ExecutorError(
      "ECS executor configuration: REEF_ECS_EXECUTION_ROLE_ARN is required with REEF_NATS_CREDS_SECRET_ARN or REEF_ECS_LOG_GROUP",
    );
  }
  if (/\.dkr\.ecr\./.test(config.image) && !config.executionRoleArn) {
    // Fargate pulls private ECR images with the execution role.
    throw new ExecutorError(
      "ECS executor configuration: REEF_ECS_EXECUTION_ROLE_ARN is required for an ECR image (REEF_RUNNER_IMAGE)",
    );
  }
  if (config.logGroup && !config.region) {
    throw new ExecutorError("ECS executor configuration: AWS_REGION is required with REEF_ECS_LOG_GROUP");
  }
  return config;
}
