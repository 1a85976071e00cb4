// Specs of the PostgreSQL components: Redpanda Connect's sql_insert, sql_raw and sql_select with
// their field names, defaults and lint rules (driver `postgres` or `pgx` only), and reef's own
// postgres_notify input.
import {
  arr,
  batchingSpec,
  bool,
  ignored,
  int,
  obj,
  optBlobl,
  optDur,
  optStr,
  str,
  type FieldSpec,
  type LintFinding,
} from "./spec";

/** Every driver Redpanda Connect knows; the built-in engine runs the PostgreSQL ones. */
const SQL_DRIVERS = [
  "mysql",
  "postgres",
  "pgx",
  "clickhouse",
  "mssql",
  "sqlite",
  "oracle",
  "snowflake",
  "trino",
  "gocosmos",
  "spanner",
  "databricks",
];
const RUNNABLE_DRIVERS = ["postgres", "pgx"];

const optional = (f: FieldSpec): FieldSpec => {
  const { default: _omit, ...rest } = f;
  return { ...rest, optional: true };
};

const connFields = (): Record<string, FieldSpec> => ({
  driver: str(undefined, { oneOf: SQL_DRIVERS }),
  dsn: str(),
  init_files: optional(arr(str(), [])),
  init_statement: optStr(),
  conn_max_idle_time: optDur(),
  conn_max_life_time: optDur(),
  conn_max_idle: ignored(
    int(2),
    "conn_max_idle is ignored: the built-in engine's pool keeps idle connections for conn_max_idle_time (default 10s)",
  ),
  conn_max_open: { kind: "int", optional: true },
});

/** driver and dsn rules shared by every SQL component. */
function connRules(c: Record<string, unknown>): LintFinding[] {
  const out: LintFinding[] = [];
  const driver = c.driver as string | undefined;
  if (driver && SQL_DRIVERS.includes(driver) && !RUNNABLE_DRIVERS.includes(driver))
    out.push({
      field: "driver",
      message: `driver ${driver} is not supported by the built-in engine (it speaks postgres and pgx; run other drivers with a benthos/redpanda-connect binary: REEF_ENGINE)`,
    });
  const dsn = c.dsn as string | undefined;
  if (driver && RUNNABLE_DRIVERS.includes(driver) && dsn && !/^postgres(ql)?:\/\//.test(dsn))
    out.push({
      field: "dsn",
      message:
        "dsn: the built-in engine takes a URL: postgres://user:password@host:port/dbname?sslmode=disable",
    });
  return out;
}

const rawQueryRules =
  (withWhen: boolean) =>
  (c: Record<string, unknown>): LintFinding[] => {
    const out = connRules(c);
    const queries = c.queries as { when?: string }[] | undefined;
    if (c.query === undefined && queries === undefined)
      out.push({ message: "either `query` or `queries` is required" });
    if (withWhen && queries && queries.length > 1 && queries.some((q) => q.when)) {
      queries.forEach((q, i) => {
        if (!q.when && i < queries.length - 1)
          out.push({
            field: "queries",
            message: `query at index ${i} has no \`when\` condition and will always match, making subsequent queries unreachable`,
          });
      });
    }
    return out;
  };

const withRules = (f: FieldSpec, lint: FieldSpec["lint"]): FieldSpec => ({ ...f, lint });

const insertFields = (): Record<string, FieldSpec> => ({
  ...connFields(),
  table: str(),
  columns: arr(str()),
  args_mapping: { kind: "bloblang" },
  prefix: optStr(),
  suffix: optStr(),
  options: optional(arr(str(), [])),
});

const selectFields = (): Record<string, FieldSpec> => ({
  ...connFields(),
  table: str(),
  columns: arr(str()),
  where: optStr(),
  args_mapping: optBlobl(),
  prefix: optStr(),
  suffix: optStr(),
});

const queryItem = (extra: Record<string, FieldSpec>): FieldSpec =>
  obj(
    { query: { kind: "string", interpolated: true }, args_mapping: optBlobl(), ...extra },
    { default: undefined, optional: false },
  );

const rawFields = (): Record<string, FieldSpec> => ({
  ...connFields(),
  query: { kind: "string", optional: true, interpolated: true },
  unsafe_dynamic_query: bool(false),
  args_mapping: optBlobl(),
});

/** Table names in `postgres_notify.tables`: an identifier, optionally schema-qualified. */
export const TABLE_NAME = /^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/;
/** A NOTIFY channel, also used in trigger names: a lower-case identifier. */
export const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

export const sqlInputs: Record<string, FieldSpec> = {
  sql_select: withRules(obj({ ...selectFields(), auto_replay_nacks: bool(true) }), connRules),
  sql_raw: withRules(
    obj({ ...connFields(), query: str(), args_mapping: optBlobl(), auto_replay_nacks: bool(true) }),
    connRules,
  ),
  postgres_notify: withRules(
    obj({
      dsn: str(),
      tables: arr(str()),
      operations: arr(str(undefined, { oneOf: ["insert", "update", "delete"] }), [
        "insert",
        "update",
        "delete",
      ]),
      channel: optStr(),
    }),
    (c) => {
      const out: LintFinding[] = [];
      const tables = (c.tables as string[] | undefined) ?? [];
      if (Array.isArray(c.tables) && !tables.length)
        out.push({ field: "tables", message: "tables: list at least one table" });
      for (const t of tables)
        if (!TABLE_NAME.test(t))
          out.push({
            field: "tables",
            message: `table ${t}: expected a table name, optionally schema.table`,
          });
      if (Array.isArray(c.operations) && !(c.operations as unknown[]).length)
        out.push({ field: "operations", message: "operations: list at least one of insert, update, delete" });
      const channel = c.channel as string | undefined;
      if (channel !== undefined && !CHANNEL_NAME.test(channel))
        out.push({
          field: "channel",
          message: `channel ${channel}: use lower-case letters, digits and _ (at most 48, not starting with a digit)`,
        });
      const dsn = c.dsn as string | undefined;
      if (dsn && !/^postgres(ql)?:\/\//.test(dsn))
        out.push({
          field: "dsn",
          message: "dsn: expected a URL: postgres://user:password@host:port/dbname?sslmode=disable",
        });
      return out;
    },
  ),
};

export const sqlProcessors: Record<string, FieldSpec> = {
  sql_insert: withRules(obj(insertFields()), connRules),
  sql_select: withRules(obj(selectFields()), connRules),
  sql_raw: withRules(
    obj({
      ...rawFields(),
      exec_only: { kind: "bool", optional: true },
      queries: {
        kind: "array",
        optional: true,
        items: queryItem({ exec_only: { kind: "bool", optional: true } }),
      },
    }),
    rawQueryRules(false),
  ),
};

export const sqlOutputs: Record<string, FieldSpec> = {
  sql_insert: withRules(
    obj({ ...insertFields(), max_in_flight: int(64), batching: batchingSpec() }),
    connRules,
  ),
  sql_raw: withRules(
    obj({
      ...rawFields(),
      queries: { kind: "array", optional: true, items: queryItem({ when: optBlobl() }) },
      max_in_flight: int(64),
      batching: batchingSpec(),
    }),
    rawQueryRules(true),
  ),
};

/** Components only reef has: lint warns that a Benthos / Redpanda Connect binary lacks them. */
export const reefOnlyInputs = ["postgres_notify"];
