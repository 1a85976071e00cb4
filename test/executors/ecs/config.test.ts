// ECS executor configuration from the environment, and the executor factory.
import { describe, expect, it } from "vitest";
import { createExecutor } from "../../../lib/executors";
import { createEcsExecutor, ecsConfigFromEnv, isRetryable } from "../../../lib/executors/ecs/internal";

const BASE = {
  REEF_ECS_CLUSTER: "reef-dev",
  REEF_ECS_SUBNETS: "subnet-a, subnet-b",
  REEF_RUNNER_IMAGE: "ghcr.io/example/reef-runner:1",
  AWS_REGION: "us-east-1",
};

describe("ecsConfigFromEnv", () => {
  it("reads every variable, with defaults", () => {
    expect(ecsConfigFromEnv(BASE)).toEqual({
      cluster: "reef-dev",
      subnets: ["subnet-a", "subnet-b"],
      securityGroups: [],
      assignPublicIp: false,
      image: BASE.REEF_RUNNER_IMAGE,
      cpu: "256",
      memory: "512",
      natsCredsSecretKeys: [],
      region: "us-east-1",
      cpuArchitecture: "X86_64",
    });
    const full = ecsConfigFromEnv({
      ...BASE,
      REEF_ECS_SECURITY_GROUPS: "sg-1,sg-2",
      REEF_ECS_ASSIGN_PUBLIC_IP: "ENABLED",
      REEF_ECS_CPU: "1024",
      REEF_ECS_MEMORY: "2048",
      REEF_ECS_TASK_ROLE_ARN: "arn:task",
      REEF_ECS_EXECUTION_ROLE_ARN: "arn:exec",
      REEF_NATS_CREDS_SECRET_ARN: "arn:secret",
      REEF_NATS_CREDS_SECRET_KEYS: "NATS_USER,NATS_PASSWORD",
      REEF_ECS_LOG_GROUP: "/reef/dev/executions",
      REEF_ECS_CPU_ARCHITECTURE: "arm64",
    });
    expect(full).toMatchObject({
      securityGroups: ["sg-1", "sg-2"],
      assignPublicIp: true,
      cpu: "1024",
      memory: "2048",
      taskRoleArn: "arn:task",
      executionRoleArn: "arn:exec",
      natsCredsSecretArn: "arn:secret",
      natsCredsSecretKeys: ["NATS_USER", "NATS_PASSWORD"],
      logGroup: "/reef/dev/executions",
      cpuArchitecture: "ARM64",
    });
    expect(
      ecsConfigFromEnv({
        ...BASE,
        REEF_ECS_EXECUTION_ROLE_ARN: "arn:exec",
        REEF_NATS_CREDS_SECRET_ARN: "arn:s",
      }).natsCredsSecretKeys,
    ).toEqual(["NATS_TOKEN"]);
  });

  it.each([
    [{ REEF_ECS_CLUSTER: "" }, /REEF_ECS_CLUSTER/],
    [{ REEF_ECS_SUBNETS: " , " }, /REEF_ECS_SUBNETS/],
    [{ REEF_RUNNER_IMAGE: "" }, /REEF_RUNNER_IMAGE/],
    [{ REEF_ECS_CPU: "a lot" }, /REEF_ECS_CPU/],
    [{ REEF_ECS_ASSIGN_PUBLIC_IP: "maybe" }, /REEF_ECS_ASSIGN_PUBLIC_IP/],
    [{ REEF_ECS_LOG_GROUP: "/x" }, /REEF_ECS_EXECUTION_ROLE_ARN/],
    [
      { REEF_RUNNER_IMAGE: "123456789012.dkr.ecr.us-east-1.amazonaws.com/reef-runner:1" },
      /REEF_ECS_EXECUTION_ROLE_ARN/,
    ],
    [
      {
        REEF_ECS_EXECUTION_ROLE_ARN: "e",
        REEF_NATS_CREDS_SECRET_ARN: "s",
        REEF_NATS_CREDS_SECRET_KEYS: "NATS_CREDS",
      },
      /REEF_NATS_CREDS_SECRET_KEYS/,
    ],
  ])("rejects %o", (override, message) => {
    expect(() => ecsConfigFromEnv({ ...BASE, ...override })).toThrow(message);
    try {
      ecsConfigFromEnv({ ...BASE, ...override });
    } catch (err) {
      expect((err as { code: string }).code).toBe("EXECUTOR_ERROR");
    }
  });

  it("createExecutor picks the ECS executor from REEF_EXECUTOR=ecs without any network call", async () => {
    const executor = await createExecutor({ ...BASE, REEF_EXECUTOR: "ecs" });
    expect(executor.kind).toBe("ecs");
    await executor.close?.();
    expect(createEcsExecutor(BASE).kind).toBe("ecs");
  });

  it("classifies retryable errors", () => {
    expect(isRetryable(Object.assign(new Error("x"), { name: "ThrottlingException" }))).toBe(true);
    expect(isRetryable(Object.assign(new Error("x"), { name: "ServerException" }))).toBe(true);
    expect(
      isRetryable(Object.assign(new Error("x"), { name: "X", $metadata: { httpStatusCode: 503 } })),
    ).toBe(true);
    expect(
      isRetryable(
        Object.assign(new Error("x"), {
          name: "InvalidParameterException",
          $metadata: { httpStatusCode: 400 },
        }),
      ),
    ).toBe(false);
    expect(isRetryable(Object.assign(new Error("x"), { name: "ServiceNotFoundException" }))).toBe(false);
  });
});
