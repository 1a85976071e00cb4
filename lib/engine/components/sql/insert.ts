// `sql_insert` (output and processor): one multi-row INSERT per batch, with a row of parameters per
// message from `args_mapping`, built as Redpanda Connect builds it:
// `[prefix] INSERT [options] INTO table (columns) VALUES ($1,$2),($3,$4) [suffix]`.
import { compile, type Mapping } from "../../blobl";
import type { Batch } from "../../message";
import type { BuildContext } from "../../runtime/context";
import type { Output, Processor } from "../../runtime/types";
import { flagError } from "../processors/run";
import { argsFrom, dollarPlaceholders, PostgresDb, type SqlConnConf } from "./postgres";

export interface SqlInsertConf extends SqlConnConf {
  table: string;
  columns: string[];
  args_mapping: string;
  prefix?: string;
  suffix?: string;
  options?: string[];
  max_in_flight?: number;
}

/** The INSERT for `rows` rows of the configured columns, with `$n` placeholders. */
export function insertStatement(conf: SqlInsertConf, rows: number): string {
  const row = `(${conf.columns.map(() => "?").join(",")})`;
  const parts = [
    conf.prefix ? `${conf.prefix} ` : "",
    "INSERT ",
    conf.options?.length ? `${conf.options.join(" ")} ` : "",
    `INTO ${conf.table} `,
    conf.columns.length ? `(${conf.columns.join(",")}) ` : "",
    "VALUES ",
    Array.from({ length: rows }, () => row).join(","),
    conf.suffix ? ` ${conf.suffix}` : "",
  ];
  return dollarPlaceholders(parts.join(""));
}

const MAX_PARAMETERS = 65535;

class Inserter {
  readonly db: PostgresDb;
  private readonly mapping: Mapping;
  constructor(
    private readonly conf: SqlInsertConf,
    ctx: BuildContext,
  ) {
    this.db = new PostgresDb(conf, ctx.logger);
    this.mapping = compile(conf.args_mapping);
  }

  args(batch: Batch, i: number): unknown[] {
    return argsFrom(this.mapping, batch, i);
  }

  async insert(rows: unknown[][]): Promise<void> {
    if (!rows.length) return;
    // A statement takes at most 65535 parameters: larger batches go in chunks, in one transaction.
    const perChunk = Math.max(1, Math.floor(MAX_PARAMETERS / Math.max(1, this.conf.columns.length)));
    if (rows.length <= perChunk) {
      await this.db.query(insertStatement(this.conf, rows.length), rows.flat());
      return;
    }
    await this.db.transaction(async (client) => {
      for (let i = 0; i < rows.length; i += perChunk) {
        const chunk = rows.slice(i, i + perChunk);
        await client.query(insertStatement(this.conf, chunk.length), chunk.flat());
      }
    });
  }
}

export function sqlInsertOutput(conf: SqlInsertConf, ctx: BuildContext): Output {
  const ins = new Inserter(conf, ctx);
  return {
    maxInFlight: conf.max_in_flight ?? 64,
    connect: () => ins.db.connect(),
    async write(batch) {
      await ins.insert(batch.map((_, i) => ins.args(batch, i)));
    },
    close: () => ins.db.close(),
  };
}

/** Inserts and leaves the messages unchanged; a failed mapping flags its message, a failed insert every message. */
export function sqlInsertProcessor(conf: SqlInsertConf, ctx: BuildContext): Processor {
  const ins = new Inserter(conf, ctx);
  return {
    async process(batch) {
      const rows: unknown[][] = [];
      const inserted: number[] = [];
      batch.forEach((msg, i) => {
        try {
          rows.push(ins.args(batch, i));
          inserted.push(i);
        } catch (err) {
          flagError(msg, err);
        }
      });
      try {
        await ins.insert(rows);
      } catch (err) {
        for (const i of inserted) flagError(batch[i], err);
      }
      return [batch];
    },
    close: () => ins.db.close(),
  };
}
