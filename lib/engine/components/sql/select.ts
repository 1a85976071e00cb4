// `sql_select` (input and processor): `[prefix] SELECT columns FROM table [WHERE where] [suffix]`,
// with `?` placeholders in `where` filled from `args_mapping`, as in Redpanda Connect.
import { compile } from "../../blobl";
import { errorMessage } from "../../errors";
import type { BuildContext } from "../../runtime/context";
import type { Input, Processor } from "../../runtime/types";
import { flagError } from "../processors/run";
import {
  argsFrom,
  dollarPlaceholders,
  PostgresDb,
  rowsValue,
  staticArgs,
  type SqlConnConf,
} from "./postgres";
import { sqlRowsInput } from "./raw";

export interface SqlSelectConf extends SqlConnConf {
  table: string;
  columns: string[];
  where?: string;
  args_mapping?: string;
  prefix?: string;
  suffix?: string;
}

export function selectStatement(conf: SqlSelectConf): string {
  const parts = [
    conf.prefix ? `${conf.prefix} ` : "",
    `SELECT ${conf.columns.join(", ")} FROM ${conf.table}`,
    conf.where ? ` WHERE ${conf.where}` : "",
    conf.suffix ? ` ${conf.suffix}` : "",
  ];
  return dollarPlaceholders(parts.join(""));
}

export function sqlSelectInput(conf: SqlSelectConf, ctx: BuildContext): Input {
  const db = new PostgresDb(conf, ctx.logger);
  const args = conf.args_mapping?.trim() ? compile(conf.args_mapping) : undefined;
  const text = selectStatement(conf);
  return sqlRowsInput(db, () => ({ text, values: staticArgs(args) }));
}

/** Replaces each message with the array of rows its query returned. */
export function sqlSelectProcessor(conf: SqlSelectConf, ctx: BuildContext): Processor {
  const db = new PostgresDb(conf, ctx.logger);
  const args = conf.args_mapping?.trim() ? compile(conf.args_mapping) : undefined;
  const text = selectStatement(conf);
  return {
    async process(batch) {
      for (let i = 0; i < batch.length; i++) {
        try {
          const res = await db.query(text, argsFrom(args, batch, i));
          batch[i].setValue(rowsValue(res.rows));
        } catch (err) {
          ctx.logger.debug(`sql_select: ${errorMessage(err)}`);
          flagError(batch[i], err);
        }
      }
      return [batch];
    },
    close: () => db.close(),
  };
}
