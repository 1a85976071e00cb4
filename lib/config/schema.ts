// Every setting reef reads from the environment: its variable, the form of its value, its default
// and what it means. lib/config/settings.ts parses them; `npm run settings:docs` writes the README's
// configuration tables from this list (test/config/settings.test.ts fails when they differ).
//
// Adding a setting: add one entry below (a camelCase key, its variable, a kind from ./kinds, a
// default written as the variable's text, one line of doc and a group), run
// `npm run settings:docs`, and read it where it is needed as `settings().<key>` (the process
// environment) or `settingsFrom(env).<key>` (an env you were given). Nothing outside lib/config
// reads `process.env.REEF_*` (eslint enforces it).
import * as k from "./kinds";
import type { Kind } from "./kinds";

/** Where a setting's row is shown: each group is a table in the README (see ./docs.ts). */
export type Group =
  | "nats"
  | "aws"
  | "store"
  | "executors"
  | "telemetry"
  | "host"
  | "api"
  | "local"
  | "bridge"
  | "docker"
  | "ecs"
  | "internal";

export interface Setting<T> {
  readonly env: string;
  readonly kind: Kind<unknown>;
  /** Only carries the type of the parsed value. */
  readonly value?: T;
  /** The value when the variable is unset or empty, as the variable's own text (parsed by `kind`). */
  readonly default?: string;
  /** The README's default column when it is not `default` (worked out at run time, or none). */
  readonly defaultDoc?: string;
  readonly doc: string;
  readonly group: Group;
}

interface Spec<T> {
  doc: string;
  group: Group;
  kind: Kind<T>;
}

/** A setting with a default: always has a value. */
function setting<T>(env: string, spec: Spec<T> & { default: string }): Setting<T> {
  return { env, ...spec } as Setting<T>;
}

/** A setting without a default: undefined when unset (`defaultDoc` says what that means). */
function optional<T>(env: string, spec: Spec<T> & { defaultDoc?: string }): Setting<T | undefined> {
  return { env, ...spec } as Setting<T | undefined>;
}

/** The NATS server the control plane (and, unless REEF_RUNNER_NATS_URL, every execution) uses. */
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/** Where the process executor keeps its records when REEF_STATE_DIR is unset. */
export const DEFAULT_STATE_DIR = ".reef/state";

/** The local stack's serverless-offline Lambda port (REEF_LAMBDA_PORT). */
export const DEFAULT_LAMBDA_PORT = 3002;

export const SCHEMA = {
  // NATS (CONTRACT.md §4)
  natsUrl: setting("NATS_URL", {
    kind: k.text,
    default: DEFAULT_NATS_URL,
    group: "nats",
    doc: "NATS server(s), comma separated",
  }),
  natsCreds: optional("NATS_CREDS", { kind: k.text, group: "nats", doc: "NATS credentials file" }),
  natsToken: optional("NATS_TOKEN", {
    kind: k.text,
    group: "nats",
    doc: "NATS token (or a file holding it: `NATS_TOKEN_FILE`)",
  }),
  natsUser: optional("NATS_USER", { kind: k.text, group: "nats", doc: "NATS user" }),
  natsPassword: optional("NATS_PASSWORD", {
    kind: k.text,
    group: "nats",
    doc: "NATS password of `NATS_USER` (or a file holding it: `NATS_PASSWORD_FILE`)",
  }),

  // AWS (read by the SDK too; reef reads them to choose between AWS and the local stack)
  awsRegion: optional("AWS_REGION", {
    kind: k.text,
    defaultDoc: "`AWS_DEFAULT_REGION`, else `us-east-1`",
    group: "aws",
    doc: "the AWS region of the functions and ECS",
  }),
  awsDefaultRegion: optional("AWS_DEFAULT_REGION", {
    kind: k.text,
    group: "aws",
    doc: "the AWS region when `AWS_REGION` is unset",
  }),
  awsProfile: optional("AWS_PROFILE", {
    kind: k.text,
    group: "aws",
    doc: "with it (or `AWS_ACCESS_KEY_ID`), `reef reconcile` and `reef trigger` invoke the functions in AWS, not the local stack",
  }),
  awsAccessKeyId: optional("AWS_ACCESS_KEY_ID", { kind: k.text, group: "aws", doc: "as `AWS_PROFILE`" }),

  // buckets and streams (CONTRACT.md §1)
  pipelinesBucket: setting("REEF_PIPELINES_BUCKET", {
    kind: k.text,
    default: "pipelines",
    group: "store",
    doc: "KV bucket of definitions",
  }),
  configsBucket: setting("REEF_CONFIGS_BUCKET", {
    kind: k.text,
    default: "pipeline-configs",
    group: "store",
    doc: "Object Store of configs",
  }),
  statusBucket: setting("REEF_STATUS_BUCKET", {
    kind: k.text,
    default: "pipeline-status",
    group: "store",
    doc: "KV bucket of status",
  }),
  eventsStream: setting("REEF_EVENTS_STREAM", {
    kind: k.text,
    default: "PIPELINE_EVENTS",
    group: "store",
    doc: "stream of handled changes",
  }),
  eventsSubject: setting("REEF_EVENTS_SUBJECT", {
    kind: k.text,
    default: "reef.events",
    group: "store",
    doc: "subject prefix of the events stream (`<prefix>.<id>`)",
  }),
  eventsMaxAge: optional("REEF_EVENTS_MAX_AGE", {
    kind: k.duration(),
    defaultDoc: "`30d`",
    group: "store",
    doc: "retention of the events stream, when reef creates it",
  }),
  eventsMaxBytes: optional("REEF_EVENTS_MAX_BYTES", {
    kind: k.bytes,
    defaultDoc: "`1GiB`",
    group: "store",
    doc: "size cap of the events stream, when reef creates it",
  }),
  leasesBucket: setting("REEF_LEASES_BUCKET", {
    kind: k.text,
    default: "reef-leases",
    group: "store",
    doc: "internal KV of per-pipeline converge leases (renewed while a converge runs; a crashed converge's lease expires after 15 s)",
  }),

  // executors and executions
  executor: optional("REEF_EXECUTOR", {
    kind: k.oneOf(["process", "docker", "ecs", "host"] as const, "process, docker, ecs or host"),
    defaultDoc: "`ecs` in AWS Lambda, else `docker` if a daemon answers, else `process`",
    group: "executors",
    doc: "where executions run",
  }),
  engine: setting("REEF_ENGINE", {
    kind: k.text,
    default: "auto",
    group: "executors",
    doc: "the engine: `auto`, `builtin` or a binary path",
  }),
  stateDir: optional("REEF_STATE_DIR", {
    kind: k.text,
    defaultDoc: `\`${DEFAULT_STATE_DIR}\``,
    group: "executors",
    doc: "process executor records and logs",
  }),
  runnerPath: setting("REEF_RUNNER_PATH", {
    kind: k.text,
    default: "dist/runner.mjs",
    group: "executors",
    doc: "the runner bundle the process executor starts",
  }),
  runnerNatsUrl: optional("REEF_RUNNER_NATS_URL", {
    kind: k.text,
    defaultDoc: "`NATS_URL`",
    group: "executors",
    doc: "NATS URL given to executions, when it differs from the control plane's",
  }),
  stopTimeout: setting("REEF_STOP_TIMEOUT", {
    kind: k.duration(),
    default: "10s",
    group: "executors",
    doc: "between SIGTERM and SIGKILL when stopping an execution (a plain number is seconds)",
  }),
  executionEnv: setting("REEF_EXECUTION_ENV", {
    kind: k.variableNames,
    default: "",
    group: "executors",
    doc: "comma-separated names of further variables every execution gets (process, docker and ecs alike), e.g. those its configs' `${VAR}`s use; nothing else of the control plane's environment reaches an execution",
  }),
  maxReplicas: setting("REEF_MAX_REPLICAS", {
    kind: k.int(1),
    default: "32",
    group: "executors",
    doc: "the most `replicas` a definition may ask for; above it the definition is invalid (`failed`, `INVALID_DEFINITION`, nothing started)",
  }),
  logLevel: optional("REEF_LOG_LEVEL", {
    kind: k.text,
    defaultDoc: "`POWERTOOLS_LOG_LEVEL`, else `INFO`",
    group: "executors",
    doc: "log level of the bridge and the executions",
  }),
  powertoolsLogLevel: optional("POWERTOOLS_LOG_LEVEL", {
    kind: k.text,
    defaultDoc: "`INFO`",
    group: "executors",
    doc: "log level of the functions (AWS Lambda Powertools)",
  }),

  // telemetry (CONTRACT.md §6)
  healthBucket: setting("REEF_HEALTH_BUCKET", {
    kind: k.text,
    default: "pipeline-health",
    group: "telemetry",
    doc: "KV bucket of heartbeats (key `<id>.<replica>`, TTL 60 s or 10 intervals)",
  }),
  heartbeatInterval: setting("REEF_HEARTBEAT_INTERVAL", {
    kind: k.duration(100),
    default: "5s",
    group: "telemetry",
    doc: "how often executions write a heartbeat; health counts missed ones in it",
  }),
  logsStream: setting("REEF_LOGS_STREAM", {
    kind: k.text,
    default: "PIPELINE_LOGS",
    group: "telemetry",
    doc: "stream of execution log lines",
  }),
  logsSubject: setting("REEF_LOGS_SUBJECT", {
    kind: k.text,
    default: "reef.logs",
    group: "telemetry",
    doc: "subject prefix of the logs stream (`<prefix>.<id>.<replica>`)",
  }),
  logsMaxAge: optional("REEF_LOGS_MAX_AGE", {
    kind: k.duration(),
    defaultDoc: "`24h`",
    group: "telemetry",
    doc: "retention of the logs stream, when reef creates it",
  }),
  logsMaxBytes: optional("REEF_LOGS_MAX_BYTES", {
    kind: k.bytes,
    defaultDoc: "`256MiB`",
    group: "telemetry",
    doc: "size cap of the logs stream, when reef creates it",
  }),
  logsRate: setting("REEF_LOGS_RATE", {
    kind: k.int(1),
    default: "100",
    group: "telemetry",
    doc: "log lines per second one execution may publish (the rest are counted and dropped)",
  }),

  // the host executor
  hosts: setting("REEF_HOSTS", {
    kind: k.int(1, 64),
    default: "1",
    group: "host",
    doc: "reef hosts `npm start` runs with `REEF_EXECUTOR=host`",
  }),
  hostTtl: setting("REEF_HOST_TTL", {
    kind: k.duration(1_000),
    default: "10s",
    group: "host",
    doc: "a host whose entry is older is gone and its executions move (it rewrites it every third)",
  }),
  hostMaxMemory: optional("REEF_HOST_MAX_MEMORY", {
    kind: k.bytes,
    group: "host",
    doc: "resident memory above which a host refuses new streams (`512MiB`, `2GiB`)",
  }),
  hostId: optional("REEF_HOST_ID", {
    kind: k.matching(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, - or _"),
    defaultDoc: "`<hostname>-<random>`",
    group: "host",
    doc: "a host's id (a restarted host with the same id finds its placements again within its TTL)",
  }),
  hostsBucket: setting("REEF_HOSTS_BUCKET", {
    kind: k.text,
    default: "reef-hosts",
    group: "host",
    doc: "internal KV bucket of live hosts",
  }),
  placementsBucket: setting("REEF_PLACEMENTS_BUCKET", {
    kind: k.text,
    default: "reef-placements",
    group: "host",
    doc: "internal KV bucket of placements",
  }),
  hostReportsBucket: setting("REEF_HOST_REPORTS_BUCKET", {
    kind: k.text,
    default: "reef-host-reports",
    group: "host",
    doc: "internal KV bucket of what hosts report per placement",
  }),

  // the HTTP api and the console
  apiAuth: setting("REEF_API_AUTH", {
    kind: k.oneOf(["key", "authorizer", "none"] as const),
    default: "key",
    group: "api",
    doc: "who may call the HTTP api: `key` (the `x-api-key` header; with no `REEF_API_KEY` every request is refused), `authorizer` (in AWS the HTTP API's IAM/JWT authorizer checks callers; elsewhere as `key`), or `none` (no check at all: only behind something else that authenticates); `serverless.yml` sets `authorizer`",
  }),
  apiKey: optional("REEF_API_KEY", {
    kind: k.text,
    defaultDoc: "generated by `npm start`",
    group: "api",
    doc: "the key the HTTP api requires in `x-api-key` (unset in AWS: IAM guards it)",
  }),
  apiMaxBodyBytes: setting("REEF_API_MAX_BODY_BYTES", {
    kind: k.int(1),
    default: "1048576",
    group: "api",
    doc: "the largest request body the HTTP api takes, in bytes",
  }),
  consoleOidcIssuer: optional("REEF_CONSOLE_OIDC_ISSUER", {
    kind: k.text,
    group: "api",
    doc: "the web console's OpenID Connect issuer when `REEF_API_AUTH=authorizer` in AWS (the stack sets it: [infra/aws/README.md](infra/aws/README.md#the-web-console))",
  }),
  consoleOidcClientId: optional("REEF_CONSOLE_OIDC_CLIENT_ID", {
    kind: k.text,
    group: "api",
    doc: "the web console's OpenID Connect client id (as the issuer)",
  }),
  consoleOidcScope: setting("REEF_CONSOLE_OIDC_SCOPE", {
    kind: k.text,
    default: "openid",
    group: "api",
    doc: "the scope the web console asks for at sign-in",
  }),

  // the local stack
  home: setting("REEF_HOME", {
    kind: k.text,
    default: ".reef",
    group: "local",
    doc: "the local stack's folder (NATS store, credentials, state, logs), under the project",
  }),
  projectDir: optional("REEF_PROJECT_DIR", {
    kind: k.text,
    defaultDoc: "the folder of `serverless.yml`",
    group: "local",
    doc: "the project folder the local stack runs in",
  }),
  natsPort: setting("REEF_NATS_PORT", {
    kind: k.int(1, 65535),
    default: "4222",
    group: "local",
    doc: "port of the local stack's nats-server",
  }),
  lambdaPort: setting("REEF_LAMBDA_PORT", {
    kind: k.int(1, 65535),
    default: String(DEFAULT_LAMBDA_PORT),
    group: "local",
    doc: "serverless-offline's Lambda API port",
  }),
  httpPort: setting("REEF_HTTP_PORT", {
    kind: k.int(1, 65535),
    default: "3000",
    group: "local",
    doc: "serverless-offline's HTTP port (the api and the console)",
  }),
  offlineStartTimeout: setting("REEF_OFFLINE_START_TIMEOUT", {
    kind: k.duration(),
    default: "90s",
    group: "local",
    doc: "how long serverless-offline may take to start",
  }),

  // the bridge
  stage: setting("REEF_STAGE", {
    kind: k.text,
    default: "dev",
    group: "bridge",
    doc: "function names `reef-<stage>-…`",
  }),
  lambdaEndpoint: optional("REEF_LAMBDA_ENDPOINT", {
    kind: k.text,
    defaultDoc: "unset (AWS) for the bridge; the local stack's for the CLI without AWS credentials",
    group: "bridge",
    doc: "Lambda API endpoint (serverless-offline)",
  }),
  bridgeInvoker: setting("REEF_BRIDGE_INVOKER", {
    kind: k.oneOf(["lambda", "in-process"] as const),
    default: "lambda",
    group: "bridge",
    doc: "how the bridge calls converge and reconcile: `lambda` or `in-process`",
  }),
  bridgeConcurrency: setting("REEF_BRIDGE_CONCURRENCY", {
    kind: k.int(1),
    default: "8",
    group: "bridge",
    doc: "invocations in flight across pipelines",
  }),
  bridgeDurable: setting("REEF_BRIDGE_DURABLE", {
    kind: k.text,
    default: "reef-bridge",
    group: "bridge",
    doc: "the bridge's durable consumer on the pipelines KV stream",
  }),
  bridgeAckWait: setting("REEF_BRIDGE_ACK_WAIT", {
    kind: k.duration(),
    default: "30s",
    group: "bridge",
    doc: "the consumer's ack wait (held messages are kept alive well before it expires)",
  }),
  bridgeMaxAckPending: setting("REEF_BRIDGE_MAX_ACK_PENDING", {
    kind: k.int(1),
    default: "20000",
    group: "bridge",
    doc: "the consumer's max ack pending",
  }),
  bridgeMaxAttempts: setting("REEF_BRIDGE_MAX_ATTEMPTS", {
    kind: k.int(1),
    default: "5",
    group: "bridge",
    doc: "attempts before a change is recorded as failed",
  }),
  bridgeRetryBase: setting("REEF_BRIDGE_RETRY_BASE", {
    kind: k.duration(),
    default: "250ms",
    group: "bridge",
    doc: "backoff base between attempts",
  }),
  bridgeRetryMax: setting("REEF_BRIDGE_RETRY_MAX", {
    kind: k.duration(),
    default: "10s",
    group: "bridge",
    doc: "backoff cap between attempts",
  }),
  bridgeConvergeTimeout: setting("REEF_BRIDGE_CONVERGE_TIMEOUT", {
    kind: k.duration(),
    default: "150s",
    group: "bridge",
    doc: "Lambda client timeout of a converge (above the function's 120 s)",
  }),
  bridgeReconcileTimeout: setting("REEF_BRIDGE_RECONCILE_TIMEOUT", {
    kind: k.duration(),
    default: "330s",
    group: "bridge",
    doc: "Lambda client timeout of a reconcile (above the function's 300 s)",
  }),
  bridgeDrainTimeout: setting("REEF_BRIDGE_DRAIN_TIMEOUT", {
    kind: k.duration(),
    default: "30s",
    group: "bridge",
    doc: "on SIGTERM, how long in-flight invocations may finish",
  }),
  resyncInterval: setting("REEF_RESYNC_INTERVAL", {
    kind: k.duration(),
    default: "60s",
    group: "bridge",
    doc: "how often to reconcile (`0` = only at start)",
  }),
  reconcileConcurrency: setting("REEF_RECONCILE_CONCURRENCY", {
    kind: k.int(1),
    default: "4",
    group: "bridge",
    doc: "pipelines one reconcile converges at a time",
  }),

  // the docker executor
  runnerImage: optional("REEF_RUNNER_IMAGE", {
    kind: k.text,
    defaultDoc: "`reef-runner:local` (docker); required for ecs",
    group: "docker",
    doc: "runner image",
  }),
  dockerNetwork: setting("REEF_DOCKER_NETWORK", {
    kind: k.text,
    default: "host",
    group: "docker",
    doc: "network for the containers",
  }),
  dockerMemory: optional("REEF_DOCKER_MEMORY", {
    kind: k.text,
    group: "docker",
    doc: "memory limit per container (`512m`, `1g`)",
  }),
  dockerCpus: optional("REEF_DOCKER_CPUS", {
    kind: k.text,
    group: "docker",
    doc: "CPU limit per container (`0.5`)",
  }),
  dockerUser: optional("REEF_DOCKER_USER", {
    kind: k.text,
    defaultDoc: "`10001:10001`",
    group: "docker",
    doc: "the user runners run as in containers",
  }),
  dockerBinds: setting("REEF_DOCKER_BINDS", {
    kind: k.list,
    default: "",
    group: "docker",
    doc: "extra mounts `host:container[:ro]`, comma separated",
  }),
  dockerScope: optional("REEF_DOCKER_SCOPE", {
    kind: k.text,
    group: "docker",
    doc: "a label value that keeps apart the containers of several control planes on one daemon",
  }),
  runnerBundle: optional("REEF_RUNNER_BUNDLE", {
    kind: k.text,
    defaultDoc: "`dist/runner.mjs`",
    group: "docker",
    doc: "the runner bundle `npm run image:local` puts in the image",
  }),
  runnerNode: optional("REEF_RUNNER_NODE", {
    kind: k.text,
    defaultDoc: "the node running reef",
    group: "docker",
    doc: "the node binary `npm run image:local` puts in the image",
  }),

  // the ECS executor (checked together by lib/executors/ecs/config.ts)
  ecsCluster: optional("REEF_ECS_CLUSTER", {
    kind: k.text,
    group: "ecs",
    doc: "the ECS cluster name or ARN (required with ecs)",
  }),
  ecsSubnets: optional("REEF_ECS_SUBNETS", {
    kind: k.text,
    group: "ecs",
    doc: "comma-separated subnet ids (required with ecs)",
  }),
  ecsSecurityGroups: optional("REEF_ECS_SECURITY_GROUPS", {
    kind: k.text,
    group: "ecs",
    doc: "comma-separated security group ids",
  }),
  ecsAssignPublicIp: optional("REEF_ECS_ASSIGN_PUBLIC_IP", {
    kind: k.text,
    defaultDoc: "`false`",
    group: "ecs",
    doc: "whether tasks get a public IP (`true`/`false`)",
  }),
  ecsCpu: optional("REEF_ECS_CPU", {
    kind: k.text,
    defaultDoc: "`256`",
    group: "ecs",
    doc: "CPU units per task",
  }),
  ecsMemory: optional("REEF_ECS_MEMORY", {
    kind: k.text,
    defaultDoc: "`512`",
    group: "ecs",
    doc: "MiB per task",
  }),
  ecsCpuArchitecture: optional("REEF_ECS_CPU_ARCHITECTURE", {
    kind: k.text,
    defaultDoc: "`X86_64`",
    group: "ecs",
    doc: "`X86_64` or `ARM64`",
  }),
  ecsTaskRoleArn: optional("REEF_ECS_TASK_ROLE_ARN", { kind: k.text, group: "ecs", doc: "the tasks' role" }),
  ecsExecutionRoleArn: optional("REEF_ECS_EXECUTION_ROLE_ARN", {
    kind: k.text,
    group: "ecs",
    doc: "the task execution role (required with a secret, a log group or an ECR image)",
  }),
  ecsLogGroup: optional("REEF_ECS_LOG_GROUP", {
    kind: k.text,
    group: "ecs",
    doc: "CloudWatch log group of the tasks",
  }),
  natsCredsSecretArn: optional("REEF_NATS_CREDS_SECRET_ARN", {
    kind: k.text,
    group: "ecs",
    doc: "Secrets Manager secret with the executions' NATS credentials",
  }),
  natsCredsSecretKeys: optional("REEF_NATS_CREDS_SECRET_KEYS", {
    kind: k.text,
    defaultDoc: "`NATS_TOKEN`",
    group: "ecs",
    doc: "which keys of that secret to pass",
  }),

  // set by reef itself for the executions it starts
  runnerStateFile: optional("REEF_RUNNER_STATE_FILE", {
    kind: k.text,
    group: "internal",
    doc: "where the runner writes its state (set by the executor)",
  }),
  runId: optional("REEF_RUN_ID", {
    kind: k.text,
    group: "internal",
    doc: "the run of a job an execution is (set by the executor)",
  }),
  runStdin: optional("REEF_RUN_STDIN", {
    kind: k.text,
    group: "internal",
    doc: "a job run's payload, base64: the engine's stdin (set by the executor)",
  }),
  runTimeoutMs: optional("REEF_RUN_TIMEOUT_MS", {
    kind: k.milliseconds,
    group: "internal",
    doc: "a job run's timeout, in milliseconds (set by the executor)",
  }),
} as const;

export type SettingKey = keyof typeof SCHEMA;

/** The typed settings: each key's parsed value (undefined only for settings without a default). */
export type Settings = {
  readonly [K in SettingKey]: (typeof SCHEMA)[K] extends Setting<infer T> ? T : never;
};
