// `postgres_notify` (a reef input): one message per row change of the listed tables,
// `{ "operation": "INSERT", "table": "orders", "row": {…}, "old": null }`.
//
// Row triggers write every change into the change log `reef.change_log` (in the writing transaction)
// and NOTIFY the channel with the change's id only, so NOTIFY's 8000-byte payload limit never
// matters: rows are read back from the log. A change is deleted from the log only once the pipeline
// acknowledged its message. Notifications lost while disconnected do not lose changes: after every
// (re)connect, and every few seconds, the input reads whatever the log still holds. Delivery is
// therefore at-least-once. One consumer per channel reads at a time (a session advisory lock); other
// replicas stand by and take over when it goes away.
import { createHash } from "node:crypto";
import pg from "pg";
import { CHANNEL_NAME, TABLE_NAME } from "../../config/sql";
import { EngineError, errorMessage } from "../../errors";
import { Message, type Transaction } from "../../message";
import { AsyncQueue, sleep } from "../../runtime/async";
import type { BuildContext } from "../../runtime/context";
import type { Logger } from "../../runtime/logger";
import type { Input } from "../../runtime/types";

export interface PostgresNotifyConf {
  dsn: string;
  tables: string[];
  operations: string[];
  channel?: string;
}

/** Changes read from the log but not yet acknowledged, at most. */
const MAX_IN_FLIGHT = 256;
/** How often the log is read without a notification (missed notifications, lock take-over). */
const POLL_MS = 5_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/** The channel when none is configured: derived from the tables, so different table sets never share one. */
export function defaultChannel(tables: string[]): string {
  const key = [...tables]
    .map((t) => t.toLowerCase())
    .sort()
    .join("_")
    .replace(/[^a-z0-9_]/g, "_");
  const name = `reef_${key}`;
  return name.length <= 48 ? name : `reef_${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
}

/** Marks the installed shared objects (a comment on reef.notify()); a new version re-installs them. */
const INSTALL_VERSION = "reef postgres_notify v1";

/** The schema objects every postgres_notify shares (created idempotently). */
const INSTALL_SHARED = `
CREATE SCHEMA IF NOT EXISTS reef;
CREATE TABLE IF NOT EXISTS reef.change_log (
  id bigserial PRIMARY KEY,
  channel text NOT NULL,
  table_schema text NOT NULL,
  table_name text NOT NULL,
  operation text NOT NULL,
  new_row json,
  old_row json,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS change_log_channel_id ON reef.change_log (channel, id);
CREATE OR REPLACE FUNCTION reef.notify() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  change_id bigint;
BEGIN
  INSERT INTO reef.change_log (channel, table_schema, table_name, operation, new_row, old_row)
  VALUES (TG_ARGV[0], TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP,
          CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE row_to_json(NEW) END,
          CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE row_to_json(OLD) END)
  RETURNING id INTO change_id;
  PERFORM pg_notify(TG_ARGV[0], change_id::text);
  RETURN NULL;
END
$fn$;`;

interface ChangeRow {
  id: string;
  table_schema: string;
  table_name: string;
  operation: string;
  new_row: string | null;
  old_row: string | null;
}

/** SQLSTATE classes that mean "the connection", not "the config": retried with backoff. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return true; // ECONNREFUSED, timeouts…
  return code.startsWith("08") || code.startsWith("57P") || code === "53300";
}

export function postgresNotifyInput(conf: PostgresNotifyConf, ctx: BuildContext): Input {
  // Names go into SQL text (DDL and LISTEN take no parameters): lint checked them; so does this.
  const bad = conf.tables.find((t) => !TABLE_NAME.test(t));
  if (bad !== undefined)
    throw new EngineError(`postgres_notify: invalid table name ${bad}`, "INVALID_CONFIG");
  if (conf.channel && !CHANNEL_NAME.test(conf.channel))
    throw new EngineError(`postgres_notify: invalid channel ${conf.channel}`, "INVALID_CONFIG");
  return new PostgresNotifyInput(conf, ctx.logger);
}

class PostgresNotifyInput implements Input {
  private readonly channel: string;
  private readonly queue = new AsyncQueue<Transaction>();
  private client?: pg.Client;
  private holder = false;
  private standbyLogged = false;
  private readonly inFlight = new Set<string>();
  private readonly toDelete = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private deleting: Promise<void> = Promise.resolve();
  private fetching = false;
  private fetchAgain = false;
  private reconnecting = false;
  private closed = false;
  private readonly closing = new AbortController();
  private poll?: NodeJS.Timeout;

  constructor(
    private readonly conf: PostgresNotifyConf,
    private readonly logger: Logger,
  ) {
    this.channel = conf.channel || defaultChannel(conf.tables);
  }

  async connect(): Promise<void> {
    try {
      await this.open();
    } catch (err) {
      // A config problem (missing table, bad credentials) fails the start; an unreachable server is retried.
      if (!isConnectionError(err))
        throw new EngineError(`postgres_notify: ${errorMessage(err)}`, "INVALID_CONFIG", { cause: err });
      this.logger.warn(`postgres_notify: cannot connect yet (${errorMessage(err)}); retrying`);
      void this.reconnect();
    }
    this.poll = setInterval(() => void this.fetch(), POLL_MS);
    this.poll.unref();
  }

  /** Connects, installs the triggers, LISTENs, takes the channel's lock if free, and reads the log. */
  private async open(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.conf.dsn,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      query_timeout: 30_000,
    });
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client));
    client.on("notification", (n) => {
      if (n.channel === this.channel) void this.fetch();
    });
    try {
      await client.connect();
      await this.install(client);
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.holder = false;
    void this.flushDeletes();
    void this.fetch();
  }

  /**
   * Idempotent, and a no-op when everything is in place: DDL only for what is missing or different,
   * so a reconnect never takes locks that writers of the tables wait on (that could deadlock them).
   */
  private async install(client: pg.Client): Promise<void> {
    const trigger = `reef_notify_${this.channel}`;
    // Row trigger (1), AFTER (no BEFORE bit), + INSERT 4 / DELETE 8 / UPDATE 16: pg_trigger.tgtype.
    const bits: Record<string, number> = { insert: 4, delete: 8, update: 16 };
    const tgtype = this.conf.operations.reduce((t, o) => t | bits[o], 1);
    const events = this.conf.operations.map((o) => o.toUpperCase()).join(" OR ");
    await client.query("BEGIN");
    try {
      // Concurrent installs (replicas starting together) would race on CREATE … IF NOT EXISTS.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('reef.notify install'))");
      const { rows: shared } = await client.query<{ current: boolean }>(
        "SELECT coalesce(obj_description(to_regprocedure('reef.notify()'), 'pg_proc') = $1, false) AS current",
        [INSTALL_VERSION],
      );
      if (!shared[0].current) {
        await client.query(INSTALL_SHARED);
        await client.query(`COMMENT ON FUNCTION reef.notify() IS '${INSTALL_VERSION}'`);
      }
      const { rows: existing } = await client.query<{ oid: string; name: string; tgtype: number }>(
        "SELECT tgrelid::text AS oid, tgrelid::regclass::text AS name, tgtype FROM pg_trigger WHERE tgname = $1",
        [trigger],
      );
      const wanted = new Set<string>();
      for (const table of this.conf.tables) {
        const { rows } = await client.query<{ oid: string }>("SELECT $1::regclass::oid::text AS oid", [
          table,
        ]);
        wanted.add(rows[0].oid);
        if (existing.some((e) => e.oid === rows[0].oid && e.tgtype === tgtype)) continue;
        await client.query(
          `CREATE OR REPLACE TRIGGER ${trigger} AFTER ${events} ON ${table} FOR EACH ROW EXECUTE FUNCTION reef.notify('${this.channel}')`,
        );
      }
      for (const e of existing)
        if (!wanted.has(e.oid)) await client.query(`DROP TRIGGER IF EXISTS ${trigger} ON ${e.name}`);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  }

  private lost(client: pg.Client, err?: Error): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.holder = false;
    client.removeAllListeners("end");
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.logger.warn(`postgres_notify: connection lost${err ? `: ${errorMessage(err)}` : ""}; reconnecting`);
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    try {
      for (let delay = RECONNECT_MIN_MS; !this.closed && !this.client;) {
        await sleep(delay, this.closing.signal);
        if (this.closed) return;
        try {
          await this.open();
          this.logger.info(`postgres_notify: connected to ${this.channel}`);
        } catch (err) {
          this.logger.warn(`postgres_notify: reconnect failed: ${errorMessage(err)}`);
          delay = Math.min(delay * 2, RECONNECT_MAX_MS);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  /** Reads what the log holds for this channel, except what is already in flight. */
  private async fetch(): Promise<void> {
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    this.fetching = true;
    try {
      do {
        this.fetchAgain = false;
        const client = this.client;
        if (!client || this.queue.isClosed) return;
        if (!this.holder && !(await this.lock(client))) return;
        const room = MAX_IN_FLIGHT - this.inFlight.size;
        if (room <= 0) return; // an acknowledgement makes room and fetches again
        const { rows } = await client.query<ChangeRow>(
          `SELECT id::text, table_schema, table_name, operation, new_row::text, old_row::text
             FROM reef.change_log
            WHERE channel = $1 AND NOT (id = ANY($2::bigint[]))
            ORDER BY id LIMIT $3`,
          [this.channel, [...this.inFlight], room],
        );
        for (const r of rows) {
          if (this.queue.isClosed) return;
          this.inFlight.add(r.id);
          this.queue.offer(this.transaction(r));
        }
        if (rows.length === room) this.fetchAgain = true;
      } while (this.fetchAgain);
    } catch (err) {
      // A broken connection is handled by `lost`; anything else is logged and retried on the next poll.
      if (this.client)
        this.logger.warn(`postgres_notify: reading the change log failed: ${errorMessage(err)}`);
    } finally {
      this.fetching = false;
    }
  }

  /** Takes the channel's session lock: only its holder reads, so replicas do not deliver twice. */
  private async lock(client: pg.Client): Promise<boolean> {
    const { rows } = await client.query<{ ok: boolean }>(
      "SELECT pg_try_advisory_lock(hashtext('reef.notify ' || $1)) AS ok",
      [this.channel],
    );
    this.holder = client === this.client && rows[0].ok;
    if (this.holder) this.standbyLogged = false;
    else if (!this.standbyLogged) {
      this.standbyLogged = true;
      this.logger.info(`postgres_notify: another consumer reads channel ${this.channel}; standing by`);
    }
    return this.holder;
  }

  private transaction(r: ChangeRow): Transaction {
    const content = `{"operation":${JSON.stringify(r.operation)},"table":${JSON.stringify(r.table_name)},"row":${r.new_row ?? "null"},"old":${r.old_row ?? "null"}}`;
    const msg = new Message(content, {
      operation: r.operation,
      table: r.table_name,
      schema: r.table_schema,
      change_id: r.id,
    });
    return {
      batch: [msg],
      ack: async (err) => {
        if (err) {
          // Not delivered: it stays in the log and is read again after a growing pause.
          const n = (this.attempts.get(r.id) ?? 0) + 1;
          this.attempts.set(r.id, n);
          await sleep(Math.min(RECONNECT_MAX_MS, 50 * 2 ** n), this.closing.signal);
          this.inFlight.delete(r.id);
          void this.fetch();
          return;
        }
        this.attempts.delete(r.id);
        this.toDelete.add(r.id);
        await this.flushDeletes();
      },
    };
  }

  /** Deletes acknowledged changes (batched); what fails is retried after the next reconnect. */
  private flushDeletes(): Promise<void> {
    this.deleting = this.deleting.then(async () => {
      const client = this.client;
      if (!client || !this.toDelete.size) return;
      const ids = [...this.toDelete];
      try {
        await client.query("DELETE FROM reef.change_log WHERE id = ANY($1::bigint[])", [ids]);
        for (const id of ids) {
          this.toDelete.delete(id);
          this.inFlight.delete(id);
        }
        void this.fetch();
      } catch (err) {
        if (this.client)
          this.logger.warn(`postgres_notify: removing delivered changes failed: ${errorMessage(err)}`);
      }
    });
    return this.deleting;
  }

  read(): Promise<Transaction | null> {
    return this.queue.pop().then((t) => t ?? null);
  }

  tryRead(): Transaction | undefined {
    return this.queue.tryPop();
  }

  /** No more reads; acknowledgements of what was read still delete from the log until close. */
  async stop(): Promise<void> {
    this.queue.close();
    // Changes queued but never read stay in the log for the next consumer.
    for (const t of this.queue.drain()) this.inFlight.delete(t.batch[0].metadata.change_id as string);
  }

  async close(): Promise<void> {
    this.queue.close();
    this.closed = true;
    this.closing.abort();
    clearInterval(this.poll);
    await this.deleting;
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
    }
  }
}
