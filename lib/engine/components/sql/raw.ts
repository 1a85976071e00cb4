// `sql_raw` (input, processor and output): arbitrary statements with `$n` parameters from
// `args_mapping`, as in Redpanda Connect. `query` and `queries` together form the statement list;
// with `unsafe_dynamic_query` the query text itself is interpolated per message.
import { toPlain } from "../../../bloblang";
import { compile, execInput, InterpolatedString, type Mapping } from "../../blobl";
import { EngineError, errorMessage } from "../../errors";
import type { Batch, Transaction } from "../../message";
import type { BuildContext } from "../../runtime/context";
import type { Input, Output, Processor } from "../../runtime/types";
import { flagError } from "../processors/run";
import { argsFrom, PostgresDb, rowMessage, rowsValue, staticArgs, type SqlConnConf } from "./postgres";

interface QueryConf {
  query: string;
  args_mapping?: string;
  when?: string;
  exec_only?: boolean;
}

export interface SqlRawConf extends SqlConnConf, Partial<QueryConf> {
  unsafe_dynamic_query?: boolean;
  queries?: QueryConf[];
  max_in_flight?: number;
}

class Statement {
  private readonly text: InterpolatedString | string;
  private readonly args?: Mapping;
  private readonly when?: Mapping;
  constructor(
    conf: QueryConf,
    dynamic: boolean,
    readonly execOnly: boolean,
  ) {
    this.text = dynamic ? new InterpolatedString(conf.query) : conf.query;
    if (conf.args_mapping?.trim()) this.args = compile(conf.args_mapping);
    if (conf.when?.trim()) this.when = compile(conf.when);
  }

  get conditional(): boolean {
    return this.when !== undefined;
  }

  sql(batch: Batch, i: number): string {
    return typeof this.text === "string" ? this.text : this.text.render(batch, i);
  }

  values(batch: Batch, i: number): unknown[] {
    try {
      return argsFrom(this.args, batch, i);
    } catch (err) {
      throw new EngineError(`arguments mapping failed: ${errorMessage(err)}`);
    }
  }

  /** True when there is no `when`, or it is true for message i. */
  matches(batch: Batch, i: number): boolean {
    if (!this.when) return true;
    const v = toPlain(this.when.exec(execInput(batch, i), { mode: "mapping" }).value);
    if (typeof v !== "boolean")
      throw new EngineError(`when condition returned non-boolean value: ${typeof v}`);
    return v;
  }
}

/** `query` first, then `queries`; exec_only defaults to true for all but the last (processor rule). */
function statements(conf: SqlRawConf): Statement[] {
  const list: QueryConf[] = [];
  if (conf.query !== undefined) list.push(conf as QueryConf);
  list.push(...(conf.queries ?? []));
  if (!list.length)
    throw new EngineError("either field 'query' or field 'queries' is required", "INVALID_CONFIG");
  return list.map(
    (q, i) => new Statement(q, conf.unsafe_dynamic_query ?? false, q.exec_only ?? i < list.length - 1),
  );
}

export function sqlRawOutput(conf: SqlRawConf, ctx: BuildContext): Output {
  const db = new PostgresDb(conf, ctx.logger);
  const stmts = statements(conf);
  const conditional = stmts.some((s) => s.conditional);
  return {
    maxInFlight: conf.max_in_flight ?? 64,
    connect: () => db.connect(),
    async write(batch) {
      if (stmts.length === 1) {
        // One statement: each message on its own, no transaction (as Redpanda Connect does).
        const [s] = stmts;
        const errors: string[] = [];
        for (let i = 0; i < batch.length; i++) {
          try {
            if (s.matches(batch, i)) await db.query(s.sql(batch, i), s.values(batch, i));
          } catch (err) {
            errors.push(errorMessage(err));
          }
        }
        if (errors.length) throw new EngineError(`sql_raw: ${errors.join("; ")}`);
        return;
      }
      // Several statements: the whole batch in one transaction; with `when`, the first match runs.
      await db.transaction(async (client) => {
        for (let i = 0; i < batch.length; i++) {
          for (const s of stmts) {
            if (!s.matches(batch, i)) continue;
            await client.query(s.sql(batch, i), s.values(batch, i));
            if (conditional) break;
          }
        }
      });
    },
    close: () => db.close(),
  };
}

/** Runs the statements per message; the rows of the last non-exec_only one replace its content. */
export function sqlRawProcessor(conf: SqlRawConf, ctx: BuildContext): Processor {
  const db = new PostgresDb(conf, ctx.logger);
  const stmts = statements(conf);
  const run = async (
    query: (sql: string, values: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>,
    batch: Batch,
    i: number,
  ) => {
    for (const s of stmts) {
      const res = await query(s.sql(batch, i), s.values(batch, i));
      // Later args mappings see the rows of an earlier query, as in Redpanda Connect.
      if (!s.execOnly) batch[i].setValue(rowsValue(res.rows));
    }
  };
  return {
    async process(batch) {
      for (let i = 0; i < batch.length; i++) {
        try {
          if (stmts.length === 1) await run((sql, v) => db.query(sql, v), batch, i);
          else await db.transaction((client) => run((sql, v) => client.query(sql, v), batch, i));
        } catch (err) {
          ctx.logger.debug(`sql_raw: ${errorMessage(err)}`);
          flagError(batch[i], err);
        }
      }
      return [batch];
    },
    close: () => db.close(),
  };
}

/** Rows of one query as messages, then the input ends (a finite input, as in Redpanda Connect). */
export function sqlRowsInput(db: PostgresDb, sql: () => { text: string; values: unknown[] }): Input {
  let rows: AsyncGenerator<Record<string, unknown>> | undefined;
  let first: IteratorResult<Record<string, unknown>> | undefined;
  let stopped = false;
  return {
    async connect() {
      const q = sql();
      rows = db.rows(q.text, q.values);
      // The query runs now, so a bad query fails the start rather than the first read.
      first = await rows.next();
    },
    async read(): Promise<Transaction | null> {
      if (stopped || !rows) return null;
      const r = first ?? (await rows.next());
      first = undefined;
      if (r.done || stopped) return null;
      return { batch: [rowMessage(r.value)], ack: async () => {} };
    },
    async stop() {
      stopped = true;
    },
    async close() {
      stopped = true;
      await rows?.return(undefined);
      await db.close();
    },
  };
}

export function sqlRawInput(conf: SqlRawConf & { query: string }, ctx: BuildContext): Input {
  const db = new PostgresDb(conf, ctx.logger);
  const args = conf.args_mapping?.trim() ? compile(conf.args_mapping) : undefined;
  return sqlRowsInput(db, () => ({ text: conf.query, values: staticArgs(args) }));
}
