// `serverless package` works offline (no AWS credentials, no network) and produces a template a
// reviewer can deploy: the resources, least-privilege IAM, and the env every handler needs.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore } from "../helpers/nats";
import { putConfig, putDefinition, sampleConfig } from "../helpers/pipelines";
import { FakeEcs, serveFakeEcs } from "../executors/ecs/fake-ecs";
import { routes as apiRoutes } from "../../lib/api";
import { extractZip } from "./unzip";
import { ecsConfigFromEnv } from "../../lib/executors/ecs/config";
import { taskDefinitionRequest } from "../../lib/executors/ecs/taskdef";

const run = promisify(execFile);
const ROOT = resolve(".");
const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:reef-nats-AbCdEf";
const PARAMS = {
  executor: "ecs",
  natsUrl: "nats://nats.example.internal:4222",
  natsAuth: "token",
  natsCredsSecretArn: SECRET,
  vpcId: "vpc-0123456789abcdef0",
  subnets: "subnet-aaa,subnet-bbb",
  securityGroups: "sg-extra",
  imageTag: "v42",
  functionsInVpc: "true",
};

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json & Record<string, unknown>;
  Condition?: string;
}
interface Template {
  Resources: Record<string, Resource>;
  Conditions?: Json;
  Outputs?: Json;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

/** Can this machine cut a process off the network (user + network namespace)? Then it proves "offline". */
async function canIsolate(): Promise<boolean> {
  try {
    await run("unshare", ["-rn", "true"]);
    return true;
  } catch {
    return false;
  }
}

async function slsPackage(dir: string, params: Record<string, string>, stage = "ci"): Promise<Template> {
  // Not named `.serverless`: serverless-esbuild removes a `.serverless` next to its work folder.
  const out = join(dir, "package");
  // relative: serverless-esbuild joins --package to the project folder
  const args = ["serverless", "package", "--stage", stage, "--package", relative(ROOT, out)];
  for (const [k, v] of Object.entries(params)) args.push(`--param=${k}=${v}`);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    // Fake credentials and a region: packaging must not need real ones.
    AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
    AWS_SECRET_ACCESS_KEY: "fake",
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
    SLS_TELEMETRY_DISABLED: "1",
    SLS_NOTIFICATIONS_MODE: "off",
    SLS_DEPRECATION_DISABLE: "*",
    // Anything that still tried HTTP would hit a closed local port instead of the internet.
    HTTP_PROXY: "http://127.0.0.1:9",
    HTTPS_PROXY: "http://127.0.0.1:9",
    npm_config_offline: "true",
    // dockerode is never used in AWS: do not npm-install it into the bundles (that needs the registry).
    REEF_ESBUILD_EXCLUDE: "dockerode",
    REEF_ESBUILD_WORK_FOLDER: join(dir, "esbuild"),
    // a variable the executions get (REEF_EXECUTION_ENV), and one of the shell they must not get
    REEF_EXECUTION_ENV: "REEF_TEST_SHARED",
    REEF_TEST_SHARED: "shared-with-pipelines",
    REEF_TEST_PRIVATE: "stays-in-the-shell",
  };
  const npx = join(ROOT, "node_modules", ".bin", "serverless");
  const [cmd, cmdArgs] = (await canIsolate())
    ? ["unshare", ["-rn", npx, ...args.slice(1)]]
    : [npx, args.slice(1)];
  try {
    await run(cmd, cmdArgs, { cwd: ROOT, env, timeout: 180_000, maxBuffer: 16 << 20 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`serverless package failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
  return JSON.parse(readFileSync(join(out, "cloudformation-template-update-stack.json"), "utf8")) as Template;
}

const OFFLINE_EXCLUDED = ["dockerode"];
const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Every IAM statement in the template (roles' inline policies), `Fn::If` branches included. */
function statements(t: Template): { role: string; statement: Statement }[] {
  const out: { role: string; statement: Statement }[] = [];
  for (const [name, r] of Object.entries(t.Resources)) {
    if (r.Type !== "AWS::IAM::Role" && r.Type !== "AWS::IAM::Policy") continue;
    const policies = r.Type === "AWS::IAM::Role" ? asArray(r.Properties.Policies as Json[]) : [r.Properties];
    for (const p of policies) {
      for (const s of asArray((p.PolicyDocument as Json).Statement as Json[])) {
        const branches = "Fn::If" in s ? (s["Fn::If"] as unknown[]).slice(1) : [s];
        for (const b of branches) {
          if (b && typeof b === "object" && !("Ref" in b))
            out.push({ role: name, statement: b as unknown as Statement });
        }
      }
    }
  }
  return out;
}

let dir: string;
let t: Template;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reef-package-"));
  t = await slsPackage(dir, PARAMS);
}, 240_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ofType = (type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const env = (fn: string) =>
  (t.Resources[fn].Properties.Environment as { Variables: Record<string, unknown> }).Variables;

describe("serverless package (offline)", () => {
  it("writes the function artifacts and the template", () => {
    const files = readdirSync(join(dir, "package"));
    expect(files).toEqual(
      expect.arrayContaining([
        "converge.zip",
        "reconcile.zip",
        "api.zip",
        "cloudformation-template-update-stack.json",
      ]),
    );
  });

  it("contains the functions, the reconcile schedule and the cloud resources", () => {
    expect(t.Resources.ConvergeLambdaFunction.Properties.FunctionName).toBe("reef-ci-converge");
    expect(t.Resources.ReconcileLambdaFunction.Properties.FunctionName).toBe("reef-ci-reconcile");
    expect(t.Resources.TriggerLambdaFunction.Properties.FunctionName).toBe("reef-ci-trigger");
    expect(t.Resources.ConvergeLambdaFunction.Properties.Runtime).toBe("nodejs22.x");
    const [, rule] = ofType("AWS::Events::Rule")[0];
    expect(rule.Properties.ScheduleExpression).toBe("rate(1 minute)");
    expect(rule.Properties.State).toBe("ENABLED");
    expect(JSON.stringify(rule.Properties.Targets)).toContain("ReconcileLambdaFunction");
    // Job schedules (CONTRACT.md §8) ride on this minute tick: each reconcile starts the runs whose
    // fire time passed since the last look; no rule per job.
    expect(ofType("AWS::Events::Rule")).toHaveLength(1);

    expect(t.Resources.ReefCluster).toMatchObject({
      Type: "AWS::ECS::Cluster",
      Properties: { ClusterName: "reef-ci" },
    });
    expect(
      ofType("AWS::ECR::Repository")
        .map(([, r]) => r.Properties.RepositoryName)
        .sort(),
    ).toEqual(["reef-ci-bridge", "reef-ci-runner"]);
    expect(ofType("AWS::Logs::LogGroup").map(([, r]) => r.Properties.LogGroupName)).toEqual(
      expect.arrayContaining(["/reef/ci/executions", "/reef/ci/bridge"]),
    );
    expect(t.Resources.ReefTasksSecurityGroup.Properties.VpcId).toBe(PARAMS.vpcId);
    for (const role of ["ReefTaskExecutionRole", "ReefRunnerTaskRole", "ReefBridgeTaskRole"]) {
      expect(JSON.stringify(t.Resources[role].Properties.AssumeRolePolicyDocument)).toContain(
        "ecs-tasks.amazonaws.com",
      );
    }
  });

  it("runs the bridge as one Fargate task of the bridge image, with NATS settings and its secret", () => {
    const service = t.Resources.ReefBridgeService.Properties;
    expect(service).toMatchObject({
      LaunchType: "FARGATE",
      Cluster: { Ref: "ReefCluster" },
      TaskDefinition: { Ref: "ReefBridgeTaskDefinition" },
    });
    expect(Number(service.DesiredCount)).toBe(1);
    const vpc = (service.NetworkConfiguration as { AwsvpcConfiguration: Json }).AwsvpcConfiguration;
    expect(vpc.Subnets).toEqual({ "Fn::Split": [",", "subnet-aaa,subnet-bbb"] });
    const td = t.Resources.ReefBridgeTaskDefinition.Properties;
    expect(td.RequiresCompatibilities).toEqual(["FARGATE"]);
    expect(td.TaskRoleArn).toEqual({ "Fn::GetAtt": ["ReefBridgeTaskRole", "Arn"] });
    const [c] = td.ContainerDefinitions as Json[];
    expect(c.Image).toEqual({
      "Fn::Join": ["", [{ "Fn::GetAtt": ["ReefBridgeRepository", "RepositoryUri"] }, ":v42"]],
    });
    const cenv = Object.fromEntries(
      (c.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
    );
    expect(cenv).toMatchObject({
      REEF_STAGE: "ci",
      NATS_URL: PARAMS.natsUrl,
      REEF_PIPELINES_BUCKET: "pipelines",
    });
    expect(cenv).not.toHaveProperty("NATS_TOKEN");
    expect(c.Secrets).toEqual([{ Name: "NATS_TOKEN", ValueFrom: `${SECRET}:NATS_TOKEN::` }]);
  });

  it("grants no wildcard action anywhere", () => {
    const all = statements(t);
    expect(all.length).toBeGreaterThan(5);
    for (const { role, statement } of all) {
      for (const action of asArray(statement.Action)) {
        expect(action, `${role}: ${action}`).not.toMatch(/\*/);
      }
    }
  });

  it("lets the bridge invoke converge, reconcile and trigger, and the functions only trigger", () => {
    const bridge = statements(t).filter((s) => s.role === "ReefBridgeTaskRole");
    expect(bridge).toHaveLength(1);
    expect(asArray(bridge[0].statement.Action)).toEqual(["lambda:InvokeFunction"]);
    expect(bridge[0].statement.Resource).toEqual([
      { "Fn::GetAtt": ["ConvergeLambdaFunction", "Arn"] },
      { "Fn::GetAtt": ["ReconcileLambdaFunction", "Arn"] },
      { "Fn::GetAtt": ["TriggerLambdaFunction", "Arn"] },
    ]);
    // The api's POST /pipelines/{id}/trigger invokes the trigger function, by name (a GetAtt of
    // it in the functions' own role would be a dependency cycle). Nobody else may invoke functions.
    const invokers = statements(t).filter((s) =>
      asArray(s.statement.Action).some((a) => a.startsWith("lambda:")),
    );
    expect(invokers.map((s) => s.role).sort()).toEqual(["IamRoleLambdaExecution", "ReefBridgeTaskRole"]);
    const fn = invokers.find((s) => s.role === "IamRoleLambdaExecution")!.statement;
    expect(asArray(fn.Action)).toEqual(["lambda:InvokeFunction"]);
    expect(JSON.stringify(fn.Resource)).toContain(":function:reef-ci-trigger");
  });

  it("scopes the functions' ECS permissions to reef's services and task definitions, and PassRole to the two task roles", () => {
    const fn = statements(t).filter((s) => s.role === "IamRoleLambdaExecution");
    const byAction = (a: string) => fn.filter((s) => asArray(s.statement.Action).includes(a));
    const services = byAction("ecs:CreateService");
    expect(services).toHaveLength(1);
    expect(JSON.stringify(services[0].statement.Resource)).toContain(":service/reef-ci/reef-*");
    for (const a of ["ecs:UpdateService", "ecs:DeleteService", "ecs:DescribeServices"]) {
      expect(byAction(a).map((s) => s.statement)).toEqual([services[0].statement]);
    }
    expect(JSON.stringify(byAction("ecs:DeregisterTaskDefinition")[0].statement.Resource)).toContain(
      ":task-definition/reef-*:*",
    );
    expect(byAction("ecs:ListTasks")[0].statement.Condition).toEqual(
      byAction("ecs:ListServices")[0].statement.Condition,
    );
    expect(JSON.stringify(byAction("ecs:DescribeTasks")[0].statement.Resource)).toContain(":task/reef-ci/*");
    // Job runs: RunTask from reef's task definitions in the stage's cluster; StopTask on its tasks.
    const runTask = byAction("ecs:RunTask")[0].statement;
    expect(JSON.stringify(runTask.Resource)).toContain(":task-definition/reef-*:*");
    expect(runTask.Condition).toEqual({
      ArnEquals: { "ecs:cluster": { "Fn::GetAtt": ["ReefCluster", "Arn"] } },
    });
    expect(JSON.stringify(byAction("ecs:StopTask")[0].statement.Resource)).toContain(":task/reef-ci/*");
    expect(byAction("ecs:ListServices")[0].statement.Condition).toEqual({
      ArnEquals: { "ecs:cluster": { "Fn::GetAtt": ["ReefCluster", "Arn"] } },
    });
    const pass = statements(t).filter((s) => asArray(s.statement.Action).includes("iam:PassRole"));
    expect(pass).toHaveLength(1);
    expect(pass[0].role).toBe("IamRoleLambdaExecution");
    expect(pass[0].statement.Resource).toEqual([
      { "Fn::GetAtt": ["ReefRunnerTaskRole", "Arn"] },
      { "Fn::GetAtt": ["ReefTaskExecutionRole", "Arn"] },
    ]);
    expect(pass[0].statement.Condition).toEqual({
      StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
    });
    // Wildcard resources only for the calls without resource-level permissions.
    for (const { statement } of fn) {
      if (statement.Resource === "*") {
        for (const a of asArray(statement.Action)) {
          expect([
            "ecs:ListServices",
            "ecs:ListTasks",
            "ecs:RegisterTaskDefinition",
            "ecs:ListTaskDefinitions",
            "ecs:DescribeTaskDefinition",
          ]).toContain(a);
        }
      }
    }
  });

  it("puts the functions in the VPC when asked (NATS reachable only there)", () => {
    for (const fn of ["ConvergeLambdaFunction", "ReconcileLambdaFunction"]) {
      expect(t.Resources[fn].Properties.VpcConfig).toEqual({
        SecurityGroupIds: [{ Ref: "ReefTasksSecurityGroup" }],
        SubnetIds: { "Fn::Split": [",", "subnet-aaa,subnet-bbb"] },
      });
    }
  });

  it("gives converge, reconcile and trigger the env the ECS executor needs", () => {
    for (const fn of ["ConvergeLambdaFunction", "ReconcileLambdaFunction", "TriggerLambdaFunction"]) {
      const v = env(fn);
      expect(v).toMatchObject({
        REEF_EXECUTOR: "ecs",
        NATS_URL: PARAMS.natsUrl,
        NATS_TOKEN: `{{resolve:secretsmanager:${SECRET}:SecretString:NATS_TOKEN}}`,
        REEF_PIPELINES_BUCKET: "pipelines",
        REEF_CONFIGS_BUCKET: "pipeline-configs",
        REEF_STATUS_BUCKET: "pipeline-status",
        REEF_ECS_CLUSTER: "reef-ci",
        REEF_ECS_SUBNETS: "subnet-aaa,subnet-bbb",
        REEF_ECS_SECURITY_GROUPS: { "Fn::Join": [",", [{ Ref: "ReefTasksSecurityGroup" }, "sg-extra"]] },
        REEF_ECS_ASSIGN_PUBLIC_IP: "DISABLED",
        REEF_RUNNER_IMAGE: {
          "Fn::Join": ["", [{ "Fn::GetAtt": ["ReefRunnerRepository", "RepositoryUri"] }, ":v42"]],
        },
        REEF_ECS_TASK_ROLE_ARN: { "Fn::GetAtt": ["ReefRunnerTaskRole", "Arn"] },
        REEF_ECS_EXECUTION_ROLE_ARN: { "Fn::GetAtt": ["ReefTaskExecutionRole", "Arn"] },
        REEF_ECS_LOG_GROUP: "/reef/ci/executions",
        REEF_NATS_CREDS_SECRET_ARN: SECRET,
        REEF_NATS_CREDS_SECRET_KEYS: "NATS_TOKEN",
      });
      // The ECS executor accepts what the template gives it.
      expect(String(v.REEF_ECS_CPU)).toMatch(/^\d+$/);
      expect(String(v.REEF_ECS_MEMORY)).toMatch(/^\d+$/);
    }
    // The functions that start executions carry the variables REEF_EXECUTION_ENV names, and only those.
    for (const fn of ["ConvergeLambdaFunction", "ReconcileLambdaFunction", "TriggerLambdaFunction"]) {
      expect(env(fn)).toMatchObject({
        REEF_EXECUTION_ENV: "REEF_TEST_SHARED",
        REEF_TEST_SHARED: "shared-with-pipelines",
      });
      expect(env(fn)).not.toHaveProperty("REEF_TEST_PRIVATE");
    }
    expect(env("ApiLambdaFunction")).not.toHaveProperty("REEF_TEST_SHARED");
    // POST /pipelines/{id}/trigger invokes reef-<stage>-trigger.
    expect(env("ApiLambdaFunction")).toMatchObject({ REEF_STAGE: "ci" });
    // The api reads and writes the same buckets on the same NATS.
    expect(env("ApiLambdaFunction")).toMatchObject({
      NATS_URL: PARAMS.natsUrl,
      NATS_TOKEN: `{{resolve:secretsmanager:${SECRET}:SecretString:NATS_TOKEN}}`,
      REEF_PIPELINES_BUCKET: "pipelines",
      REEF_CONFIGS_BUCKET: "pipeline-configs",
      REEF_STATUS_BUCKET: "pipeline-status",
    });
    // The log group the executions write to exists in the stack.
    expect(
      ofType("AWS::Logs::LogGroup").some(
        ([, r]) => r.Properties.LogGroupName === env("ConvergeLambdaFunction").REEF_ECS_LOG_GROUP,
      ),
    ).toBe(true);
    // The execution role may read exactly the NATS secret.
    const secretReads = statements(t).filter((s) =>
      asArray(s.statement.Action).includes("secretsmanager:GetSecretValue"),
    );
    expect(secretReads.map((s) => [s.role, s.statement.Resource])).toEqual([
      ["ReefTaskExecutionRole", SECRET],
    ]);
  });

  it("without NATS auth: no secret anywhere, and local defaults still package", async () => {
    const d = mkdtempSync(join(tmpdir(), "reef-package-noauth-"));
    try {
      const plain = await slsPackage(
        d,
        { executor: "ecs", natsUrl: PARAMS.natsUrl, vpcId: "vpc-1", subnets: "subnet-1" },
        "ci2",
      );
      const v = (plain.Resources.ConvergeLambdaFunction.Properties.Environment as { Variables: Json })
        .Variables;
      expect(v.NATS_TOKEN).toBe("");
      expect(v.REEF_NATS_CREDS_SECRET_ARN).toBe("");
      expect(v.REEF_NATS_CREDS_SECRET_KEYS).toBe("");
      const [c] = plain.Resources.ReefBridgeTaskDefinition.Properties.ContainerDefinitions as Json[];
      expect(c.Secrets).toEqual([]);
      expect(plain.Resources.ConvergeLambdaFunction.Properties.VpcConfig).toBeUndefined();
      expect(plain.Conditions?.ReefHasNatsSecret).toEqual({ "Fn::Not": [{ "Fn::Equals": ["", ""] }] });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }, 240_000);

  it("natsAuth=userpass: user and password from the secret, for the functions, the bridge and the executions", async () => {
    // `serverless print` resolves the same variables as package, in a fraction of the time.
    const d = mkdtempSync(join(tmpdir(), "reef-print-"));
    try {
      const { stdout } = await run(
        join(ROOT, "node_modules", ".bin", "serverless"),
        [
          "print",
          "--stage",
          "ci",
          "--format",
          "json",
          "--param=natsAuth=userpass",
          `--param=natsCredsSecretArn=${SECRET}`,
        ],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: d, AWS_REGION: "us-east-1", SLS_TELEMETRY_DISABLED: "1" },
          timeout: 60_000,
          maxBuffer: 16 << 20,
        },
      );
      const config = JSON.parse(stdout) as {
        provider: { environment: Record<string, unknown> };
        resources: { Resources: Record<string, Resource> };
      };
      const ref = (key: string) => `{{resolve:secretsmanager:${SECRET}:SecretString:${key}}}`;
      expect(config.provider.environment).toMatchObject({
        NATS_TOKEN: "",
        NATS_USER: ref("NATS_USER"),
        NATS_PASSWORD: ref("NATS_PASSWORD"),
        REEF_NATS_CREDS_SECRET_KEYS: "NATS_USER,NATS_PASSWORD",
      });
      const [c] = config.resources.Resources.ReefBridgeTaskDefinition.Properties
        .ContainerDefinitions as Json[];
      expect(c.Secrets).toEqual([
        { Name: "NATS_USER", ValueFrom: `${SECRET}:NATS_USER::` },
        { Name: "NATS_PASSWORD", ValueFrom: `${SECRET}:NATS_PASSWORD::` },
      ]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }, 120_000);

  it("consoleAuth=oidc: the console signs in with your issuer, and no user pool is created", async () => {
    const d = mkdtempSync(join(tmpdir(), "reef-print-"));
    const issuer = "https://login.example.com/realms/ops";
    try {
      const { stdout } = await run(
        join(ROOT, "node_modules", ".bin", "serverless"),
        [
          "print",
          "--stage",
          "ci",
          "--format",
          "json",
          "--param=executor=ecs",
          "--param=consoleAuth=oidc",
          `--param=consoleIssuerUrl=${issuer}`,
          "--param=consoleClientId=reef-console",
        ],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: d, AWS_REGION: "us-east-1", SLS_TELEMETRY_DISABLED: "1" },
          timeout: 60_000,
          maxBuffer: 16 << 20,
        },
      );
      const config = JSON.parse(stdout) as {
        provider: { httpApi: { authorizers: Record<string, Json> } };
        functions: { api: { environment: Record<string, unknown> } };
        resources: { Conditions: Record<string, unknown> };
      };
      const authorizer = config.provider.httpApi.authorizers.reefConsole;
      expect(authorizer).toMatchObject({ type: "jwt", issuerUrl: issuer });
      // one audience (the compiled template always has a list)
      expect([authorizer.audience].flat()).toEqual(["reef-console"]);
      expect(config.functions.api.environment).toMatchObject({
        REEF_CONSOLE_OIDC_ISSUER: issuer,
        REEF_CONSOLE_OIDC_CLIENT_ID: "reef-console",
      });
      // the Cognito resources are conditioned on consoleAuth=cognito
      expect(config.resources.Conditions.ReefConsoleCognito).toEqual({ "Fn::Equals": ["oidc", "cognito"] });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }, 120_000);

  it("executor=host: the reef hosts run as a Fargate service in the cluster, hardened like the executions' tasks", async () => {
    const d = mkdtempSync(join(tmpdir(), "reef-print-"));
    try {
      const { stdout } = await run(
        join(ROOT, "node_modules", ".bin", "serverless"),
        [
          "print",
          "--stage",
          "ci",
          "--format",
          "json",
          "--param=executor=host",
          "--param=hostCount=3",
          "--param=hostMaxMemory=1536MiB",
          `--param=natsUrl=${PARAMS.natsUrl}`,
          "--param=natsAuth=token",
          `--param=natsCredsSecretArn=${SECRET}`,
          "--param=imageTag=v42",
        ],
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH,
            HOME: d,
            AWS_REGION: "us-east-1",
            SLS_TELEMETRY_DISABLED: "1",
            REEF_EXECUTION_ENV: "REEF_TEST_SHARED",
            REEF_TEST_SHARED: "shared-with-pipelines",
            REEF_TEST_PRIVATE: "stays-in-the-shell",
          },
          timeout: 60_000,
          maxBuffer: 16 << 20,
        },
      );
      const config = JSON.parse(stdout) as {
        provider: { environment: Record<string, unknown> };
        resources: { Resources: Record<string, Resource>; Conditions: Record<string, unknown> };
      };
      const r = config.resources.Resources;
      expect(config.provider.environment.REEF_EXECUTOR).toBe("host");
      expect(config.resources.Conditions.ReefHostExecutor).toEqual({ "Fn::Equals": ["host", "host"] });
      expect(r.ReefHostService.Condition).toBe("ReefHostExecutor");
      expect(r.ReefHostTaskDefinition.Condition).toBe("ReefHostExecutor");
      const service = r.ReefHostService.Properties;
      expect(service).toMatchObject({
        LaunchType: "FARGATE",
        Cluster: { Ref: "ReefCluster" },
        TaskDefinition: { Ref: "ReefHostTaskDefinition" },
      });
      expect(Number(service.DesiredCount)).toBe(3);
      // not `reef-…`: the ECS executor owns that prefix (one service per pipeline)
      expect(service.ServiceName).not.toMatch(/^reef-/);
      const vpc = (service.NetworkConfiguration as { AwsvpcConfiguration: Json }).AwsvpcConfiguration;
      expect(vpc.SecurityGroups).toEqual([{ Ref: "ReefTasksSecurityGroup" }]);

      const td = r.ReefHostTaskDefinition.Properties;
      expect(td.RequiresCompatibilities).toEqual(["FARGATE"]);
      expect(td.TaskRoleArn).toEqual({ "Fn::GetAtt": ["ReefRunnerTaskRole", "Arn"] });
      expect(td.ExecutionRoleArn).toEqual({ "Fn::GetAtt": ["ReefTaskExecutionRole", "Arn"] });
      const [c] = td.ContainerDefinitions as Json[];
      // the runner image, run as `runner.mjs host`
      expect(c.Image).toEqual({
        "Fn::Join": ["", [{ "Fn::GetAtt": ["ReefRunnerRepository", "RepositoryUri"] }, ":v42"]],
      });
      expect(c.Command).toEqual(["host"]);
      // the same hardening as the executions' task definitions (lib/executors/ecs/taskdef.ts)
      const [exec] = taskDefinitionRequest(
        ecsConfigFromEnv({
          REEF_ECS_CLUSTER: "reef-ci",
          REEF_ECS_SUBNETS: "subnet-1",
          REEF_RUNNER_IMAGE: "img",
          AWS_REGION: "us-east-1",
        }),
        "p",
        "1",
        "d",
        {},
      ).input.containerDefinitions!;
      expect(c.User).toBe(exec.user);
      expect(c.ReadonlyRootFilesystem).toBe(exec.readonlyRootFilesystem);
      expect(c.LinuxParameters).toEqual({
        Capabilities: { Drop: exec.linuxParameters!.capabilities!.drop },
        InitProcessEnabled: exec.linuxParameters!.initProcessEnabled,
      });
      expect(c.MountPoints).toEqual(
        exec.mountPoints!.map((m) => ({
          SourceVolume: m.sourceVolume,
          ContainerPath: m.containerPath,
          ReadOnly: m.readOnly,
        })),
      );
      expect(td.Volumes).toEqual([{ Name: "tmp" }]);
      const cenv = Object.fromEntries(
        (c.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
      );
      expect(cenv).toMatchObject({
        NATS_URL: PARAMS.natsUrl,
        REEF_PIPELINES_BUCKET: "pipelines",
        REEF_CONFIGS_BUCKET: "pipeline-configs",
        REEF_HEALTH_BUCKET: "pipeline-health",
        REEF_HOSTS_BUCKET: "reef-hosts",
        REEF_PLACEMENTS_BUCKET: "reef-placements",
        REEF_HOST_REPORTS_BUCKET: "reef-host-reports",
        REEF_HOST_MAX_MEMORY: "1536MiB",
        REEF_TEST_SHARED: "shared-with-pipelines",
      });
      // the functions and the hosts agree on the buckets
      for (const k of ["REEF_HOSTS_BUCKET", "REEF_PLACEMENTS_BUCKET", "REEF_HOST_REPORTS_BUCKET"])
        expect(cenv[k]).toBe(config.provider.environment[k]);
      expect(cenv).not.toHaveProperty("REEF_TEST_PRIVATE");
      expect(cenv).not.toHaveProperty("NATS_TOKEN");
      expect(c.Secrets).toEqual([{ Name: "NATS_TOKEN", ValueFrom: `${SECRET}:NATS_TOKEN::` }]);
      expect(c.LogConfiguration).toMatchObject({
        LogDriver: "awslogs",
        Options: { "awslogs-group": { Ref: "ReefExecutionsLogGroup" }, "awslogs-stream-prefix": "host" },
      });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
    // the ecs template has the hosts' service switched off
    expect(t.Conditions?.ReefHostExecutor).toEqual({ "Fn::Equals": ["ecs", "host"] });
  }, 120_000);

  it("executor=host refuses a hostCount or hostMaxMemory that is not a number", async () => {
    const d = mkdtempSync(join(tmpdir(), "reef-package-hosts-"));
    try {
      const err = await slsPackage(
        d,
        { ...PARAMS, executor: "host", hostCount: "two", hostMaxMemory: "lots" },
        "ci4",
      ).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toContain('--param="hostCount=');
      expect(err?.message).toContain('--param="hostMaxMemory=');
      expect(err?.message).not.toContain('--param="executor=');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }, 120_000);

  it("refuses to package without the AWS parameters, naming each missing one", async () => {
    const d = mkdtempSync(join(tmpdir(), "reef-package-noparams-"));
    try {
      const err = await slsPackage(d, { natsAuth: "token", consoleAuth: "oidc" }, "ci3").then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/reef in AWS needs these parameters/);
      for (const p of [
        "executor=ecs",
        "natsUrl=",
        "vpcId=",
        "subnets=",
        "natsCredsSecretArn=",
        "consoleIssuerUrl=",
        "consoleClientId=",
      ]) {
        expect(err?.message).toContain(`--param="${p}`);
      }
      // It stops before anything is built.
      expect(existsSync(join(d, "package", "converge.zip"))).toBe(false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }, 120_000);

  it("serves the web console: a public page, its API calls behind the console's JWT authorizer, every API route behind IAM", () => {
    const routes = new Map(
      ofType("AWS::ApiGatewayV2::Route").map(([, r]) => [r.Properties.RouteKey as string, r.Properties]),
    );
    // machines: every route of the API, signed with SigV4
    for (const route of apiRoutes) {
      expect(
        routes.get(`${route.method} ${route.path}`)?.AuthorizationType,
        `${route.method} ${route.path}`,
      ).toBe("AWS_IAM");
    }
    expect(routes.get("ANY /{proxy+}")?.AuthorizationType).toBe("AWS_IAM");
    // the page, its assets and settings hold no secret: public
    for (const key of ["GET /ui", "GET /ui/{proxy+}", "GET /openapi.json"]) {
      expect(routes.get(key), key).toBeDefined();
      expect(routes.get(key)?.AuthorizationType, key).toBeUndefined();
    }
    // the page's API calls: a bearer token from the console's sign-in
    expect(routes.get("ANY /ui/api/{proxy+}")).toMatchObject({
      AuthorizationType: "JWT",
      AuthorizerId: { Ref: "HttpApiAuthorizerReefConsole" },
    });
    const issuer = {
      "Fn::Join": ["", ["https://", { "Fn::GetAtt": ["ReefConsoleUserPool", "ProviderURL"] }]],
    };
    expect(t.Resources.HttpApiAuthorizerReefConsole.Properties).toMatchObject({
      AuthorizerType: "JWT",
      IdentitySource: ["$request.header.Authorization"],
      JwtConfiguration: { Issuer: issuer, Audience: [{ Ref: "ReefConsoleUserPoolClient" }] },
    });
    // the stack's user pool: invited users only, a public client (code + PKCE) that returns to /ui
    expect(t.Resources.ReefConsoleUserPool.Properties).toMatchObject({
      UserPoolName: "reef-ci-console",
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    const client = t.Resources.ReefConsoleUserPoolClient.Properties;
    expect(client).toMatchObject({
      GenerateSecret: false,
      AllowedOAuthFlows: ["code"],
      AllowedOAuthFlowsUserPoolClient: true,
      SupportedIdentityProviders: ["COGNITO"],
    });
    expect(JSON.stringify(client.CallbackURLs)).toContain('".execute-api."');
    expect(JSON.stringify(client.CallbackURLs)).toContain('".amazonaws.com/ui"');
    expect(t.Resources.ReefConsoleUserPoolDomain.Properties.UserPoolId).toEqual({
      Ref: "ReefConsoleUserPool",
    });
    // the api tells the page where to sign in
    expect(env("ApiLambdaFunction")).toMatchObject({
      REEF_API_AUTH: "authorizer",
      REEF_CONSOLE_OIDC_ISSUER: issuer,
      REEF_CONSOLE_OIDC_CLIENT_ID: { Ref: "ReefConsoleUserPoolClient" },
    });
  });

  it("ships the console's build in the api function's package", () => {
    const x = unzipped("api.zip");
    const page = readFileSync(join(x, "dist/console/index.html"), "utf8");
    const assets = [...page.matchAll(/\/ui\/(assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBe(2); // the script and the stylesheet
    for (const a of assets) expect(existsSync(join(x, "dist/console", a)), a).toBe(true);
    // the other functions do not carry it
    expect(existsSync(join(unzipped("converge.zip"), "dist"))).toBe(false);
  });

  it("bundles no import a Lambda could not resolve", () => {
    // Every bare import of a function bundle must be a Node built-in or shipped in the zip:
    // otherwise the function fails at cold start.
    const zips = readdirSync(join(dir, "package")).filter((f) => f.endsWith(".zip"));
    expect(zips.length).toBeGreaterThan(0);
    for (const zip of zips) {
      const x = unzipped(zip);
      const bundles = readdirSync(join(x, "functions")).filter((f) => f.endsWith(".mjs"));
      for (const b of bundles) {
        const code = readFileSync(join(x, "functions", b), "utf8");
        const bare = [...code.matchAll(/^import\s[^;]*?from\s+"([^".][^"]*)";?$/gm)].map((m) => m[1]);
        const unresolved = bare.filter(
          (m) =>
            !m.startsWith("node:") &&
            !existsSync(join(x, "node_modules", m.split("/")[0])) &&
            // Left out on purpose in this offline package (REEF_ESBUILD_EXCLUDE above); a real
            // `serverless deploy` npm-installs it into the zip.
            !OFFLINE_EXCLUDED.includes(m),
        );
        expect(unresolved, `${zip}: ${b}`).toEqual([]);
      }
    }
  });
});

/** A function zip of the package, extracted once. */
function unzipped(zip: string): string {
  const x = join(dir, "unzipped", zip);
  if (!existsSync(x)) extractZip(join(dir, "package", zip), x);
  return x;
}

// The template's CloudFormation references, as CloudFormation would resolve them in a test account.
const ACCOUNT = "123456789012";
const CONSOLE_POOL = "cognito-idp.us-east-1.amazonaws.com/us-east-1_TeSt";
const CONSOLE_CLIENT = "consoleclient123";
function resolveCfn(value: unknown): string {
  if (typeof value === "string") return value;
  const v = value as Record<string, unknown>;
  if ("Ref" in v) {
    if (v.Ref === "ReefTasksSecurityGroup") return "sg-tasks";
    if (v.Ref === "ReefConsoleUserPoolClient") return CONSOLE_CLIENT;
    throw new Error(`unresolved Ref ${String(v.Ref)} in a function's environment`);
  }
  if ("Fn::GetAtt" in v) {
    const [res, attr] = v["Fn::GetAtt"] as [string, string];
    if (attr === "RepositoryUri") return `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/${res}`;
    if (attr === "Arn") return `arn:aws:iam::${ACCOUNT}:role/${res}`;
    if (attr === "ProviderURL") return CONSOLE_POOL;
  }
  if ("Fn::Join" in v) {
    const [sep, parts] = v["Fn::Join"] as [string, unknown[]];
    return parts.map(resolveCfn).join(sep);
  }
  throw new Error(`unresolved ${JSON.stringify(value)} in a function's environment`);
}

describe("the packaged handlers with the template's environment", () => {
  let ts: TestStore;
  let ecs: FakeEcs;
  let endpoint: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    ts = await openTestStore();
    ecs = new FakeEcs("reef-ci");
    endpoint = await serveFakeEcs(ecs);
  });
  afterAll(async () => {
    await endpoint?.close();
    ecs?.mock.restore();
    await ts?.close();
  });

  /** Runs a function's bundle from its zip under node, as Lambda would, and returns its answer. */
  async function invoke(
    fn: "converge" | "reconcile" | "api",
    event: unknown,
  ): Promise<Record<string, unknown>> {
    const root = unzipped(`${fn}.zip`);
    // Only the offline package leaves dockerode out (see OFFLINE_EXCLUDED); a deploy ships it.
    mkdirSync(join(root, "node_modules"), { recursive: true });
    if (!existsSync(join(root, "node_modules", "dockerode"))) {
      symlinkSync(join(ROOT, "node_modules", "dockerode"), join(root, "node_modules", "dockerode"));
    }
    const variables = env(`${fn[0].toUpperCase()}${fn.slice(1)}LambdaFunction`);
    const lambdaEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    for (const [k, v] of Object.entries(variables)) {
      const resolved = resolveCfn(v);
      // Dynamic references are resolved by CloudFormation; the test server needs no token.
      lambdaEnv[k] = resolved.startsWith("{{resolve:") ? "" : resolved;
    }
    Object.assign(lambdaEnv, {
      ...ts.env, // this test's buckets and NATS server
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIAFAKE",
      AWS_SECRET_ACCESS_KEY: "fake",
      AWS_ENDPOINT_URL_ECS: endpoint.url,
      AWS_LAMBDA_FUNCTION_NAME: `reef-ci-${fn}`,
    });
    const driver = join(dir, "invoke.mjs");
    writeFileSync(
      driver,
      `const [bundle, event, out] = process.argv.slice(2);
const m = await import(bundle);
try {
  const result = await m.handler(JSON.parse(event), { awsRequestId: "test", functionName: "f", getRemainingTimeInMillis: () => 60000 });
  (await import("node:fs")).writeFileSync(out, JSON.stringify(result));
  process.exit(0);
} catch (err) { console.error(err); process.exit(1); }
`,
    );
    // The handler's answer goes to a file: stdout carries its (Powertools) log lines.
    const answer = join(dir, `${fn}-answer.json`);
    try {
      await run(
        process.execPath,
        [driver, pathToFileURL(join(root, "functions", `${fn}.mjs`)).href, JSON.stringify(event), answer],
        // Lambda runs a function in its package's root (/var/task)
        { env: lambdaEnv, cwd: root, timeout: 60_000, maxBuffer: 16 << 20 },
      );
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${fn} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
    }
    return JSON.parse(readFileSync(answer, "utf8")) as Record<string, unknown>;
  }

  it("converge starts a pipeline as an ECS service and reconcile observes it running", async () => {
    const id = `aws-${randomBytes(3).toString("hex")}`;
    await putConfig(ts, id, "1", sampleConfig(id));
    const revision = await putDefinition(ts, { id, status: "published", version: "1", replicas: 2 });

    const converged = await invoke("converge", {
      key: id,
      operation: "PUT",
      revision,
      timestamp: new Date().toISOString(),
    });
    expect(converged).toMatchObject({
      id,
      phase: "pending",
      error: null,
      actions: [`start ${id}#0 v1`, `start ${id}#1 v1`],
    });

    // What reached the ECS endpoint over the wire.
    const service = ecs.services.get(`reef-${id}`)!;
    expect(service).toMatchObject({ status: "ACTIVE", desiredCount: 2, launchType: "FARGATE" });
    const [td] = [...ecs.taskDefs.values()].filter((x) => x.family === `reef-${id}`);
    const [container] = td.input.containerDefinitions!;
    expect(container.image).toBe(`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/ReefRunnerRepository:v42`);
    expect(container.secrets).toEqual([{ name: "NATS_TOKEN", valueFrom: `${SECRET}:NATS_TOKEN::` }]);
    const cenv = Object.fromEntries(container.environment!.map((e) => [e.name, e.value]));
    expect(cenv).toMatchObject({
      PIPELINE_ID: id,
      NATS_URL: ts.env.NATS_URL,
      REEF_CONFIGS_BUCKET: ts.names.configs,
    });
    // The variables REEF_EXECUTION_ENV names reach the executions; nothing else of the Lambda's.
    expect(cenv.REEF_TEST_SHARED).toBe("shared-with-pipelines");
    expect(cenv).not.toHaveProperty("AWS_SECRET_ACCESS_KEY");
    expect(cenv).not.toHaveProperty("REEF_TEST_PRIVATE");
    // Hardened: non-root, no capabilities, read-only root with an ephemeral /tmp volume.
    expect(container).toMatchObject({
      user: "10001:10001",
      readonlyRootFilesystem: true,
      linuxParameters: { capabilities: { drop: ["ALL"] } },
      mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
    });
    expect(td.input.volumes).toEqual([{ name: "tmp" }]);
    expect(td.input).toMatchObject({
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/ReefRunnerTaskRole`,
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ReefTaskExecutionRole`,
    });
    expect(container.logConfiguration?.options?.["awslogs-group"]).toBe("/reef/ci/executions");

    ecs.settle();
    const reconciled = (await invoke("reconcile", { source: "aws.events" })) as {
      results: { id: string; phase: string }[];
      failures: unknown[];
    };
    expect(reconciled.failures).toEqual([]);
    expect(reconciled.results.find((r) => r.id === id)?.phase).toBe("running");
    expect((await ts.store.getStatus(id))?.executor).toBe("ecs");
  }, 120_000);

  it("the api serves the console from its package and tells the page to sign in with the stack's user pool", async () => {
    const get = (path: string) =>
      invoke("api", {
        version: "2.0",
        routeKey: path === "/ui" ? "GET /ui" : "GET /ui/{proxy+}",
        rawPath: path,
        rawQueryString: "",
        headers: { host: "abc123.execute-api.us-east-1.amazonaws.com" },
        requestContext: { http: { method: "GET", path }, stage: "$default" },
        isBase64Encoded: false,
      }) as Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;
    const settings = await get("/ui/config.json");
    expect(settings.statusCode).toBe(200);
    expect(JSON.parse(settings.body)).toEqual({
      auth: {
        mode: "oidc",
        authority: `https://${CONSOLE_POOL}`,
        clientId: CONSOLE_CLIENT,
        scope: "openid email",
      },
      apiBase: "/ui/api",
    });
    const page = await get("/ui");
    expect(page.statusCode).toBe(200);
    expect(page.headers["Content-Type"]).toMatch(/^text\/html/);
    // with an OIDC sign-in the page may call the issuer's endpoints
    expect(page.headers["Content-Security-Policy"]).toContain("connect-src 'self' https:");
    const [, script] = /src="(\/ui\/assets\/[^"]+)"/.exec(page.body)!;
    expect((await get(script)).statusCode).toBe(200);
  }, 120_000);
});
