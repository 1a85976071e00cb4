// The component specs: every component the built-in engine runs, with Benthos's field names and
// defaults, plus the names of Benthos components it does not have (so lint can say so plainly).
import {
  any,
  arr,
  batchingSpec,
  blobl,
  bool,
  dur,
  ignored,
  int,
  interp,
  map,
  obj,
  optBlobl,
  optDur,
  optStr,
  processors,
  str,
  unsupported,
  type ComponentKind,
  type ComponentSpec,
  type FieldSpec,
} from "./spec";
import { reefOnlyInputs, sqlInputs, sqlOutputs, sqlProcessors } from "./sql";

const tls = (): FieldSpec =>
  unsupported(
    obj({
      enabled: bool(false),
      skip_cert_verify: bool(false),
      enable_renegotiation: bool(false),
      root_cas: str(""),
      root_cas_file: str(""),
      client_certs: arr({ kind: "any" }, []),
    }),
    "TLS options are not supported by the built-in engine (use a nats:// URL or a benthos binary)",
  );

const natsAuth = (): FieldSpec =>
  obj({
    nkey_file: optStr(),
    nkey: optStr(),
    user_credentials_file: optStr(),
    user_jwt: optStr(),
    user_nkey_seed: optStr(),
    user: optStr(),
    password: optStr(),
    token: optStr(),
  });

const natsCommon = (): Record<string, FieldSpec> => ({
  urls: arr(str()),
  tls: tls(),
  tls_handshake_first: unsupported(bool(false), "TLS is not supported by the built-in engine"),
  auth: natsAuth(),
  name: str(""),
  max_reconnects: { kind: "int", optional: true },
});

const metadataFilter = (): FieldSpec =>
  obj({ include_prefixes: arr(str(), []), include_patterns: arr(str(), []) });

/** The HTTP client fields the `http` processor and the `http_client` output share (as in Benthos). */
const httpClientCommon = (): Record<string, FieldSpec> => ({
  url: interp(),
  verb: str("POST"),
  headers: map(interp(), {}),
  metadata: metadataFilter(),
  basic_auth: obj({ enabled: bool(false), username: str(""), password: str("") }),
  oauth: unsupported(any({}), "OAuth is not supported by the built-in engine"),
  oauth2: unsupported(any({}), "OAuth2 is not supported by the built-in engine"),
  jwt: unsupported(any({}), "JWT auth is not supported by the built-in engine"),
  tls: tls(),
  extract_headers: metadataFilter(),
  rate_limit: str(""),
  timeout: dur("5s"),
  retry_period: dur("1s"),
  max_retry_backoff: dur("300s"),
  retries: int(3),
  backoff_on: arr(int(), [429]),
  drop_on: arr(int(), []),
  successful_on: arr(int(), []),
  proxy_url: unsupported(str(""), "proxies are not supported by the built-in engine"),
});

export const scannerSpec = (): FieldSpec => ({ kind: "scanner", default: { lines: {} } });

const codecDeprecated = (): FieldSpec => optStr();

const inputs: Record<string, FieldSpec> = {
  generate: obj({
    mapping: blobl(),
    interval: str("1s"),
    count: int(0),
    batch_size: int(1),
    auto_replay_nacks: bool(true),
  }),
  stdin: obj({
    scanner: scannerSpec(),
    codec: codecDeprecated(),
    max_buffer: int(1000000),
    auto_replay_nacks: bool(true),
  }),
  file: obj({
    paths: arr(str()),
    scanner: scannerSpec(),
    codec: codecDeprecated(),
    max_buffer: int(1000000),
    delete_on_finish: bool(false),
    auto_replay_nacks: bool(true),
  }),
  nats: obj({
    ...natsCommon(),
    subject: str(),
    queue: optStr(),
    nak_delay: ignored(optDur(), "nak_delay is ignored: nacked messages are replayed with a short backoff"),
    prefetch_count: int(524288),
    extract_tracing_map: ignored(optStr(), "tracing is not supported"),
    auto_replay_nacks: bool(true),
    send_ack: bool(true),
  }),
  nats_jetstream: obj({
    ...natsCommon(),
    queue: optStr(),
    subject: optStr(),
    durable: optStr(),
    stream: optStr(),
    bind: optStr({ kind: "bool" }),
    create_stream: bool(false),
    deliver: str("all", { oneOf: ["all", "last", "last_per_subject", "new"] }),
    ack_wait: dur("30s"),
    max_ack_pending: int(1024),
    extract_tracing_map: ignored(optStr(), "tracing is not supported"),
  }),
  nats_kv: obj({
    ...natsCommon(),
    bucket: str(),
    key: str(">"),
    ignore_deletes: bool(true),
    include_history: bool(false),
    meta_only: bool(false),
    auto_replay_nacks: bool(true),
  }),
  http_server: obj({
    address: str(""),
    path: str("/post"),
    ws_path: ignored(str("/post/ws"), "websockets are not supported"),
    ws_welcome_message: ignored(str(""), "websockets are not supported"),
    ws_rate_limit_message: ignored(str(""), "websockets are not supported"),
    allowed_verbs: arr(str(), ["POST"]),
    timeout: dur("5s"),
    rate_limit: str(""),
    cert_file: unsupported(str(""), "TLS is not supported by the built-in engine"),
    key_file: unsupported(str(""), "TLS is not supported by the built-in engine"),
    cors: obj({ enabled: bool(false), allowed_origins: arr(str(), []) }),
    sync_response: obj({
      status: interp("200"),
      headers: map(interp(), { "Content-Type": "application/octet-stream" }),
      metadata_headers: metadataFilter(),
    }),
  }),
  broker: obj({
    copies: int(1),
    inputs: arr({ kind: "input" }),
    batching: ignored(
      batchingSpec(),
      "input batching is ignored (messages keep the batches their inputs made)",
    ),
  }),
  ...sqlInputs,
};

const processorsSpec: Record<string, FieldSpec> = {
  mapping: blobl(),
  mutation: blobl(),
  bloblang: blobl(),
  log: obj({
    level: str("INFO", { oneOf: ["FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL", "NONE"] }),
    fields_mapping: optBlobl(),
    message: interp(""),
    fields: map(interp(), {}),
  }),
  switch: arr(
    obj(
      { check: blobl(""), processors: processors(), fallthrough: bool(false) },
      { default: undefined, optional: false },
    ),
  ),
  branch: obj({ request_map: blobl(""), processors: arr({ kind: "processor" }), result_map: blobl("") }),
  catch: arr({ kind: "processor" }),
  try: arr({ kind: "processor" }),
  split: obj({ size: int(1), byte_size: int(0) }),
  sleep: obj({ duration: interp() }),
  dedupe: obj({ cache: str(), key: interp(), drop_on_err: bool(true) }),
  rate_limit: obj({ resource: str() }),
  command: obj({ name: interp(), args_mapping: optBlobl() }),
  subprocess: obj({
    name: str(),
    args: arr(str(), []),
    max_buffer: int(65536),
    codec_send: str("lines", { oneOf: ["lines", "length_prefixed_uint32_be", "netstring"] }),
    codec_recv: str("lines", { oneOf: ["lines", "length_prefixed_uint32_be", "netstring"] }),
  }),
  workflow: obj({
    meta_path: str("meta.workflow"),
    order: arr(arr(str()), []),
    branch_resources: arr(str(), []),
    branches: map(
      obj({ request_map: blobl(""), processors: arr({ kind: "processor" }), result_map: blobl("") }),
      {},
    ),
  }),
  noop: obj({}),
  sync_response: obj({}),
  group_by_value: obj({ value: interp() }),
  http: obj({
    ...httpClientCommon(),
    follow_redirects: bool(true),
    dump_request_log_level: ignored(str(""), "request dumps are not supported"),
    transport: ignored(any({}), "transport tuning is ignored"),
    batch_as_multipart: unsupported(
      bool(false),
      "multipart batches are not supported by the built-in engine (one request per message)",
    ),
    parallel: bool(false),
  }),
  cache: obj({
    resource: str(),
    operator: str(undefined, { oneOf: ["set", "add", "get", "delete", "exists"] }),
    key: interp(),
    value: { kind: "string", optional: true, interpolated: true },
    ttl: { kind: "string", optional: true, interpolated: true },
  }),
  for_each: arr({ kind: "processor" }),
  processors: arr({ kind: "processor" }),
  parallel: obj({ cap: int(0), processors: arr({ kind: "processor" }) }),
  nats_request_reply: obj({
    ...natsCommon(),
    subject: interp(),
    inbox_prefix: ignored(optStr(), "inbox_prefix is ignored"),
    headers: map(interp(), {}),
    metadata: metadataFilter(),
    timeout: dur("3s"),
  }),
  nats_kv: obj({
    ...natsCommon(),
    bucket: str(),
    operation: str(undefined, {
      // `history` is not supported: lint reports it as an unknown operation.
      oneOf: ["get", "get_revision", "create", "put", "update", "delete", "purge", "keys"],
    }),
    key: interp(),
    revision: { kind: "string", optional: true, interpolated: true },
    timeout: dur("5s"),
  }),
  compress: obj({
    algorithm: str(undefined, { oneOf: ["gzip", "pgzip", "zlib", "flate"] }),
    level: int(-1),
  }),
  decompress: obj({ algorithm: str(undefined, { oneOf: ["gzip", "pgzip", "zlib", "flate"] }) }),
  archive: obj({
    format: str(undefined, { oneOf: ["lines", "concatenate", "json_array"] }),
    path: ignored(str(""), "archive paths are ignored (no tar/zip support)"),
  }),
  unarchive: obj({
    format: str(undefined, { oneOf: ["lines", "json_array", "json_documents", "json_map"] }),
  }),
  ...sqlProcessors,
};

const outputs: Record<string, FieldSpec> = {
  nats: obj({
    ...natsCommon(),
    subject: interp(),
    headers: map(interp(), {}),
    metadata: metadataFilter(),
    max_in_flight: int(64),
    inject_tracing_map: ignored(optStr(), "tracing is not supported"),
  }),
  nats_jetstream: obj({
    ...natsCommon(),
    subject: interp(),
    headers: map(interp(), {}),
    metadata: metadataFilter(),
    max_in_flight: int(1024),
    inject_tracing_map: ignored(optStr(), "tracing is not supported"),
  }),
  nats_kv: obj({ ...natsCommon(), bucket: str(), key: interp(), max_in_flight: int(1024) }),
  stdout: obj({ codec: str("lines") }),
  file: obj({ path: interp(), codec: str("lines") }),
  http_client: obj({
    ...httpClientCommon(),
    batch_as_multipart: unsupported(
      bool(false),
      "multipart batches are not supported by the built-in engine (one request per message)",
    ),
    propagate_response: bool(false),
    max_in_flight: int(64),
    batching: batchingSpec(),
    follow_redirects: bool(true),
    dump_request_log_level: ignored(str(""), "request dumps are not supported"),
    transport: ignored(any({}), "transport tuning is ignored"),
    multipart: unsupported(arr(any(), []), "multipart requests are not supported by the built-in engine"),
  }),
  drop: obj({}),
  switch: obj({
    retry_until_success: bool(false),
    strict_mode: bool(false),
    cases: arr(
      obj(
        { check: blobl(""), output: { kind: "output" }, continue: bool(false) },
        { default: undefined, optional: false },
      ),
    ),
  }),
  broker: obj({
    copies: int(1),
    pattern: str("fan_out", { oneOf: ["fan_out", "fan_out_sequential", "round_robin", "greedy"] }),
    outputs: arr({ kind: "output" }),
    batching: batchingSpec(),
  }),
  sync_response: obj({}),
  reject: interp(),
  reject_errored: { kind: "output" },
  fallback: arr({ kind: "output" }),
  ...sqlOutputs,
};

const caches: Record<string, FieldSpec> = {
  memory: obj({
    default_ttl: dur("5m"),
    compaction_interval: str("60s"),
    init_values: map(str(), {}),
    shards: int(1),
  }),
};

const rateLimits: Record<string, FieldSpec> = {
  local: obj({ count: int(1000), interval: dur("1s"), byte_size: int(0) }),
};

const buffers: Record<string, FieldSpec> = {
  none: obj({}),
  memory: obj({
    limit: int(524288000),
    batch_policy: ignored(
      obj({
        enabled: bool(false),
        count: int(0),
        byte_size: int(0),
        period: str(""),
        check: blobl(""),
        processors: processors(),
      }),
      "buffer batch_policy is ignored",
    ),
  }),
};

const table: Record<ComponentKind, Record<string, FieldSpec>> = {
  input: inputs,
  processor: processorsSpec,
  output: outputs,
  cache: caches,
  rate_limit: rateLimits,
  buffer: buffers,
};

export function componentSpec(kind: ComponentKind, name: string): ComponentSpec | undefined {
  const config = table[kind][name];
  return config ? { kind, name, config } : undefined;
}

export function componentNames(kind: ComponentKind): string[] {
  return Object.keys(table[kind]);
}

// Real Benthos / Redpanda Connect components the built-in engine does not implement.
const benthosOnly: Record<ComponentKind, string[]> = {
  input: [
    "amqp_0_9",
    "amqp_1",
    "aws_kinesis",
    "aws_s3",
    "aws_sqs",
    "azure_blob_storage",
    "azure_queue_storage",
    "batched",
    "cassandra",
    "csv",
    "discord",
    "dynamic",
    "gcp_bigquery_select",
    "gcp_cloud_storage",
    "gcp_pubsub",
    "hdfs",
    "http_client",
    "inproc",
    "kafka",
    "kafka_franz",
    "mongodb",
    "mqtt",
    "nanomsg",
    "nats_stream",
    "nsq",
    "parquet",
    "pulsar",
    "read_until",
    "redis_list",
    "redis_pubsub",
    "redis_scan",
    "redis_streams",
    "sequence",
    "sftp",
    "socket",
    "socket_server",
    "sql_raw",
    "sql_select",
    "subprocess",
    "twitter_search",
    "websocket",
    "redpanda",
    "redpanda_common",
    "redpanda_migrator",
    "schema_registry",
    "spicedb_watch",
    "ockam_kafka",
    "beanstalkd",
    "nats_object_store",
  ],
  processor: [
    "avro",
    "retry",
    "log_fatal",
    "awk",
    "aws_dynamodb_partiql",
    "aws_lambda",
    "bounds_check",
    "cached",
    "couchbase",
    "grok",
    "group_by",
    "insert_part",
    "javascript",
    "jmespath",
    "jq",
    "json_schema",
    "msgpack",
    "parquet",
    "parquet_decode",
    "parquet_encode",
    "parse_log",
    "protobuf",
    "redis",
    "redis_script",
    "schema_registry_decode",
    "schema_registry_encode",
    "select_parts",
    "sql",
    "sql_insert",
    "sql_raw",
    "sql_select",
    "wasm",
    "while",
    "xml",
    "cohere_chat",
    "openai_chat_completion",
    "ollama_chat",
  ],
  output: [
    "amqp_0_9",
    "amqp_1",
    "drop_on",
    "aws_dynamodb",
    "aws_kinesis",
    "aws_kinesis_firehose",
    "aws_s3",
    "aws_sns",
    "aws_sqs",
    "azure_blob_storage",
    "azure_cosmosdb",
    "azure_queue_storage",
    "azure_table_storage",
    "cache",
    "cassandra",
    "couchbase",
    "cypher",
    "discord",
    "dynamic",
    "elasticsearch",
    "gcp_bigquery",
    "gcp_cloud_storage",
    "gcp_pubsub",
    "hdfs",
    "http_server",
    "inproc",
    "kafka",
    "kafka_franz",
    "mongodb",
    "mqtt",
    "nanomsg",
    "nats_stream",
    "nsq",
    "opensearch",
    "pulsar",
    "redis_hash",
    "redis_list",
    "redis_pubsub",
    "redis_streams",
    "retry",
    "sftp",
    "snowflake_put",
    "socket",
    "splunk_hec",
    "sql",
    "sql_insert",
    "sql_raw",
    "subprocess",
    "websocket",
    "redpanda",
    "redpanda_common",
    "nats_object_store",
  ],
  cache: [
    "aws_dynamodb",
    "aws_s3",
    "couchbase",
    "file",
    "gcp_cloud_storage",
    "lru",
    "memcached",
    "mongodb",
    "multilevel",
    "nats_kv",
    "noop",
    "redis",
    "redpanda",
    "ristretto",
    "sql",
    "ttlru",
  ],
  rate_limit: ["redis"],
  buffer: ["sqlite", "system_window", "memory_window"],
};

/** True when `name` is a component only reef's built-in engine has (no Benthos binary runs it). */
export function isReefOnly(kind: ComponentKind, name: string): boolean {
  return kind === "input" && reefOnlyInputs.includes(name);
}

/** True when `name` is a real Benthos component of that kind that the built-in engine lacks. */
export function isBenthosOnly(kind: ComponentKind, name: string): boolean {
  return benthosOnly[kind].includes(name) && !(name in table[kind]);
}
