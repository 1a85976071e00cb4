// The PostgreSQL side of the SQL components (sql_insert, sql_raw, sql_select): a pg pool per
// component with Redpanda Connect's connection fields, the init statements run once, values
// converted as Redpanda Connect's `postgres` driver does (rows → Bloblang values, mapping results →
// query parameters), and `?` placeholders rewritten to `$n`.
import { readFileSync } from "node:fs";
import pg from "pg";
import Cursor from "pg-cursor";
import { fromPlain, toPlain } from "../../../bloblang";
import { execInput, type Mapping } from "../../blobl";
import { parseDuration } from "../../duration";
import { EngineError, errorMessage } from "../../errors";
import { Message, type Batch } from "../../message";
import type { Logger } from "../../runtime/logger";
import { expandGlobs } from "../inputs/readers";

/** The connection fields every SQL component has (as in Redpanda Connect). */
export interface SqlConnConf {
  driver: string;
  dsn: string;
  init_files?: string[];
  init_statement?: string;
  conn_max_idle_time?: string;
  conn_max_life_time?: string;
  conn_max_open?: number;
}

/** Drivers the built-in engine speaks (both are PostgreSQL; `pgx` is Redpanda Connect's other one). */
export const POSTGRES_DRIVERS = ["postgres", "pgx"];

// Type OIDs whose text form the engine parses; every other type stays as PostgreSQL's text, as the
// `postgres` driver of Redpanda Connect returns it (numeric, json, arrays, uuid, … are strings).
const INT8 = 20;
const INT2 = 21;
const INT4 = 23;
const OID = 26;
const FLOAT4 = 700;
const FLOAT8 = 701;
const BOOL = 16;
const BYTEA = 17;
const DATE = 1082;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;

/** PostgreSQL's ISO output (`2026-01-02 03:04:05.123456+00`) as a Date; `infinity`, BC dates and the like stay text. */
const utcDate = (text: string): Date | string => {
  const iso = text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00");
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? text : d;
};

/** Row values as Redpanda Connect's postgres driver gives them: ints, floats, bools, timestamps; else text. */
export const rowTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format === "binary") return pg.types.getTypeParser(oid, "binary");
    switch (oid) {
      case INT8:
      case INT2:
      case INT4:
      case OID:
        return (t: string) => BigInt(t);
      case FLOAT4:
      case FLOAT8:
        return (t: string) => Number(t);
      case BOOL:
        return (t: string) => t === "t" || t === "true";
      case BYTEA:
        return (t: string) => pg.types.getTypeParser(BYTEA, "text")(t).toString("utf8");
      case TIMESTAMPTZ:
        return (t: string) => utcDate(t);
      case TIMESTAMP:
        // Without a zone: read as UTC, as the Go driver does.
        return (t: string) => utcDate(/^-?\d/.test(t) ? t + "Z" : t);
      case DATE:
        return (t: string) => utcDate(/^\d{4}-\d\d-\d\d$/.test(t) ? t + "T00:00:00Z" : t);
      default:
        return (t: string) => t;
    }
  }) as pg.CustomTypesConfig["getTypeParser"],
};

/** A result row as a structured message. */
export function rowMessage(row: Record<string, unknown>): Message {
  return Message.fromValue(fromPlain(row));
}

/** Rows as one Bloblang array value (what sql_raw and sql_select processors put in a message). */
export function rowsValue(rows: Record<string, unknown>[]): unknown {
  return fromPlain(rows);
}

/**
 * Query parameters from an args mapping result: an array is required. Objects become JSON text and
 * arrays PostgreSQL array literals (pg's conversions), timestamps RFC 3339 text, bytes bytea.
 */
export function argsFrom(mapping: Mapping | undefined, batch: Batch, index: number): unknown[] {
  if (!mapping) return [];
  const res = mapping.exec(execInput(batch, index), { mode: "mapping" });
  const v = toPlain(res.value);
  if (!Array.isArray(v)) throw new EngineError(`mapping returned non-array result: ${typeName(v)}`);
  return v;
}

/** Runs an args mapping without a message (sql_select / sql_raw inputs). */
export function staticArgs(mapping: Mapping | undefined): unknown[] {
  return argsFrom(mapping, [new Message()], 0);
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (v instanceof Uint8Array) return "bytes";
  return typeof v === "object" ? "object" : typeof v;
}

/**
 * `?` placeholders → `$1, $2, …` (`??` is a literal `?`), as Redpanda Connect's query builder does
 * for the postgres driver in `where` clauses and generated statements.
 */
export function dollarPlaceholders(sql: string, start = 1): string {
  let n = start;
  return sql.replace(/\?\??/g, (m) => (m === "??" ? "?" : `$${n++}`));
}

/** A pool for one component: connects lazily, runs init_files / init_statement once. */
export class PostgresDb {
  readonly pool: pg.Pool;
  private init?: Promise<void>;

  constructor(
    private readonly conf: SqlConnConf,
    private readonly logger: Logger,
  ) {
    this.pool = new pg.Pool({
      connectionString: conf.dsn,
      types: rowTypes,
      // database/sql has no limit by default; a pool needs one.
      max: conf.conn_max_open && conf.conn_max_open > 0 ? conf.conn_max_open : 10,
      idleTimeoutMillis: conf.conn_max_idle_time
        ? Math.max(0, parseDuration(conf.conn_max_idle_time))
        : 10_000,
      maxLifetimeSeconds: conf.conn_max_life_time
        ? Math.max(0, Math.ceil(parseDuration(conf.conn_max_life_time) / 1000))
        : 0,
      connectionTimeoutMillis: 30_000,
    });
    // An idle client that loses its server emits on the pool: log it, the pool replaces the client.
    this.pool.on("error", (err) => logger.warn(`postgres connection lost: ${errorMessage(err)}`));
  }

  /** Runs the init statements once (failures are logged, as in Redpanda Connect). */
  connect(): Promise<void> {
    return (this.init ??= this.runInit());
  }

  private async runInit(): Promise<void> {
    const statements: [string, string][] = [];
    for (const path of expandGlobs(this.conf.init_files ?? [])) {
      try {
        statements.push([`init_file '${path}'`, readFileSync(path, "utf8")]);
      } catch (err) {
        throw new EngineError(`reading init_file '${path}': ${errorMessage(err)}`, "INVALID_CONFIG");
      }
    }
    if (this.conf.init_statement) statements.push(["init_statement", this.conf.init_statement]);
    for (const [what, sql] of statements) {
      try {
        await this.pool.query(sql);
        this.logger.debug(`ran ${what}`);
      } catch (err) {
        this.logger.warn(`failed to execute ${what}: ${errorMessage(err)}`);
      }
    }
  }

  async query(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
    await this.connect();
    return this.pool.query({ text: sql, values });
  }

  /** Runs `fn` in one transaction on one connection (committed when it resolves, else rolled back). */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.connect();
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const out = await fn(client);
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Streams the rows of a query, `chunk` at a time, on a dedicated connection. */
  async *rows(sql: string, values: unknown[], chunk = 256): AsyncGenerator<Record<string, unknown>> {
    await this.connect();
    const client = await this.pool.connect();
    const cursor = client.query(new Cursor<Record<string, unknown>>(sql, values, { types: rowTypes }));
    let broken = false;
    try {
      for (;;) {
        const rows = await cursor.read(chunk);
        if (!rows.length) return;
        yield* rows;
      }
    } catch (err) {
      broken = true;
      throw err;
    } finally {
      await cursor.close().catch(() => undefined);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
