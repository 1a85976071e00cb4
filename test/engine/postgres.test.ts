// The PostgreSQL components of the built-in engine against a real PostgreSQL (a throwaway cluster
// started for this file): sql_insert, sql_raw, sql_select, and reef's postgres_notify input.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lint, type RunningStream } from "../../lib/engine";
import { postgresUnavailable, startTestPostgres, type TestPostgres } from "../helpers/postgres";
import { readLines, runToEnd, start, tempDir, waitFor } from "./helpers";

const unavailable = postgresUnavailable();
if (unavailable) console.warn(`PostgreSQL engine tests skipped: ${unavailable}`);

const errors = (yaml: string) => lint(yaml, { env: {} }).filter((i) => i.level === "error");

describe("SQL components: lint", () => {
  it("accepts Redpanda Connect's fields for the postgres driver", () => {
    const yaml = `
input:
  sql_select:
    driver: postgres
    dsn: postgres://u:p@localhost:5432/db?sslmode=disable
    table: orders
    columns: [ '*' ]
    where: created_at >= ?
    args_mapping: 'root = [ 0 ]'
    suffix: ORDER BY id
    init_statement: CREATE TABLE IF NOT EXISTS orders (id int)
    conn_max_open: 4
    conn_max_idle_time: 30s
pipeline:
  processors:
    - sql_raw:
        driver: postgres
        dsn: postgres://localhost/db
        query: SELECT * FROM t WHERE id = $1
        args_mapping: '[ this.id ]'
    - sql_insert:
        driver: pgx
        dsn: postgres://localhost/db
        table: t
        columns: [ id ]
        args_mapping: root = [ this.id ]
output:
  sql_raw:
    driver: postgres
    dsn: postgres://localhost/db
    queries:
      - when: 'root = this.op == "delete"'
        query: DELETE FROM t WHERE id = $1
        args_mapping: root = [ this.id ]
      - query: INSERT INTO t (id) VALUES ($1)
        args_mapping: root = [ this.id ]
    batching: { count: 10, period: 1s }
`;
    expect(lint(yaml, { env: {} })).toEqual([]);
  });

  it("reports other drivers, non-URL DSNs, missing queries and unreachable queries", () => {
    const issues = errors(`
input:
  sql_select:
    driver: mysql
    dsn: foouser:foopassword@tcp(localhost:3306)/foodb
    table: t
    columns: [ a ]
pipeline:
  processors:
    - sql_raw:
        driver: postgres
        dsn: host=localhost user=u
    - sql_insert:
        driver: postgres
        dsn: postgres://localhost/db
        table: t
        columns: [ a ]
output:
  sql_raw:
    driver: sqlite3
    dsn: postgres://localhost/db
    queries:
      - query: SELECT 1
      - query: SELECT 2
        when: root = true
`);
    const messages = issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual([
      expect.stringMatching(
        /^input\.sql_select\.driver: driver mysql is not supported by the built-in engine/,
      ),
      "pipeline.processors.0.sql_raw: either `query` or `queries` is required",
      expect.stringMatching(/^pipeline\.processors\.0\.sql_raw\.dsn: dsn: the built-in engine takes a URL/),
      "pipeline.processors.1.sql_insert.args_mapping: field args_mapping is required",
      expect.stringMatching(/^output\.sql_raw\.driver: value sqlite3 is not one of: mysql, postgres, pgx/),
      "output.sql_raw.queries: query at index 0 has no `when` condition and will always match, making subsequent queries unreachable",
    ]);
    // The driver error points at the driver's value.
    expect(issues[0]).toMatchObject({ line: 4, column: 13 });
  });

  it("marks postgres_notify as reef-only and checks its fields", () => {
    const all = lint(
      `
input:
  postgres_notify:
    dsn: postgres://localhost/db
    tables: [ orders, "bad name" ]
    operations: [ insert, upsert ]
    channel: Bad-Channel
    batching: {}
output:
  drop: {}
`,
      { env: {} },
    );
    expect(all.filter((i) => i.level === "warning").map((i) => i.message)).toEqual([
      expect.stringMatching(
        /input postgres_notify is a reef component: Benthos \/ Redpanda Connect binaries do not have it/,
      ),
    ]);
    expect(all.filter((i) => i.level === "error").map((i) => i.message)).toEqual([
      "table bad name: expected a table name, optionally schema.table",
      "value upsert is not one of: insert, update, delete",
      expect.stringMatching(/^channel Bad-Channel: use lower-case letters/),
      "field batching not recognised",
    ]);
  });
});

describe.skipIf(unavailable !== null)("SQL components against PostgreSQL", () => {
  let db: TestPostgres;
  const dir = tempDir("reef-engine-pg-");
  const streams: RunningStream[] = [];
  const started = async (yaml: string) => {
    const s = await start(yaml, { ...process.env, DSN: db.dsn });
    streams.push(s);
    return s;
  };

  beforeAll(async () => {
    db = await startTestPostgres();
  });
  afterAll(async () => {
    await Promise.allSettled(streams.map((s) => s.stop(2_000)));
    await db?.stop();
  });

  it("sql_insert writes a batch as one multi-row insert; sql_select reads the rows back, then ends", async () => {
    await db.query(
      "CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric, tags jsonb, seen timestamptz)",
    );
    await runToEnd(`
input:
  generate:
    count: 25
    interval: ""
    mapping: 'root = { "id": counter(), "name": "item-" + counter().string(), "price": 1.5 }'
output:
  sql_insert:
    driver: postgres
    dsn: ${db.dsn}
    table: items
    columns: [ id, name, price, tags, seen ]
    args_mapping: 'root = [ this.id, this.name, this.price, { "n": this.id }.string(), "2026-01-02T03:04:05Z" ]'
    suffix: ON CONFLICT (id) DO NOTHING
    batching: { count: 10, period: 50ms }
`);
    expect(await db.query("SELECT count(*)::int AS n FROM items")).toEqual([{ n: 25 }]);

    const out = join(dir, "select.jsonl");
    await runToEnd(`
input:
  sql_select:
    driver: postgres
    dsn: ${db.dsn}
    table: items
    columns: [ id, name, price, tags, seen ]
    where: id > ? AND name <> ?
    args_mapping: 'root = [ 20, "none" ]'
    suffix: ORDER BY id
output:
  file: { path: ${out}, codec: lines }
`);
    const rows = readLines(out).map((l) => JSON.parse(l));
    expect(rows.map((r) => r.id)).toEqual([21, 22, 23, 24, 25]);
    // As Redpanda Connect's postgres driver: numeric and jsonb come back as text, timestamps as timestamps.
    expect(rows[0]).toEqual({
      id: 21,
      name: "item-21",
      price: "1.5",
      tags: '{"n": 21}',
      seen: "2026-01-02T03:04:05Z",
    });
  });

  it("sql_raw processor runs a query with args_mapping and replaces the message with the rows", async () => {
    await db.query("CREATE TABLE customers (id int PRIMARY KEY, name text)");
    await db.query("INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace')");
    const out = join(dir, "raw.jsonl");
    await runToEnd(`
input:
  generate:
    count: 3
    interval: ""
    mapping: 'root = { "customer": counter() }'
pipeline:
  processors:
    - branch:
        processors:
          - sql_raw:
              driver: postgres
              dsn: ${db.dsn}
              query: SELECT name FROM customers WHERE id = $1
              args_mapping: root = [ this.customer ]
        result_map: 'root.rows = this'
    - sql_raw:
        driver: postgres
        dsn: ${db.dsn}
        query: UPDATE customers SET name = upper(name) WHERE id = $1
        args_mapping: root = [ this.customer ]
        exec_only: true
    - sql_raw:
        driver: postgres
        dsn: ${db.dsn}
        query: SELECT * FROM no_such_table
    - catch:
        - mapping: 'root = this.merge({ "error": error().contains("no_such_table") })'
output:
  file: { path: ${out}, codec: lines }
`);
    const got = readLines(out)
      .map((l) => JSON.parse(l))
      .sort((a, b) => a.customer - b.customer);
    expect(got).toEqual([
      { customer: 1, rows: [{ name: "Ada" }], error: true },
      { customer: 2, rows: [{ name: "Grace" }], error: true },
      { customer: 3, rows: [], error: true },
    ]);
    expect(await db.query("SELECT name FROM customers ORDER BY id")).toEqual([
      { name: "ADA" },
      { name: "GRACE" },
    ]);
  });

  it("sql_raw input streams a query's rows; sql_select processor fills `?` from args_mapping; init_files run first", async () => {
    const init = join(dir, "init");
    mkdirSync(init, { recursive: true });
    writeFileSync(
      join(init, "01-prices.sql"),
      "CREATE TABLE IF NOT EXISTS prices (sku text PRIMARY KEY, cents int);",
    );
    writeFileSync(
      join(init, "02-rows.sql"),
      "INSERT INTO prices VALUES ('a', 100), ('b', 250) ON CONFLICT DO NOTHING;",
    );
    const out = join(dir, "joined.jsonl");
    await runToEnd(`
input:
  sql_raw:
    driver: postgres
    dsn: ${db.dsn}
    init_files: [ ${join(init, "*.sql")} ]
    query: SELECT sku FROM generate_series(1, 2) g, LATERAL (SELECT CASE WHEN g = 1 THEN 'a' ELSE 'b' END AS sku) s WHERE g <= $1
    args_mapping: root = [ 2 ]
pipeline:
  threads: 1
  processors:
    - branch:
        processors:
          - sql_select:
              driver: postgres
              dsn: ${db.dsn}
              table: prices
              columns: [ cents ]
              where: sku = ? AND cents > ?
              args_mapping: root = [ this.sku, 0 ]
        result_map: root.cents = this.index(0).cents
output:
  file: { path: ${out}, codec: lines }
`);
    expect(readLines(out).map((l) => JSON.parse(l))).toEqual([
      { sku: "a", cents: 100 },
      { sku: "b", cents: 250 },
    ]);
  });

  it("sql_raw output: several queries run in one transaction per batch, `when` picks the first match", async () => {
    await db.query("CREATE TABLE kv (k text PRIMARY KEY, v int)");
    await runToEnd(`
input:
  generate:
    count: 6
    interval: ""
    mapping: |
      let n = counter()
      root = { "k": "k" + ($n % 3).string(), "v": $n, "op": if $n == 6 { "delete" } else { "upsert" } }
output:
  sql_raw:
    driver: postgres
    dsn: ${db.dsn}
    init_statement: CREATE TABLE IF NOT EXISTS kv_audit (k text)
    queries:
      - when: 'root = this.op == "delete"'
        query: DELETE FROM kv WHERE k = $1
        args_mapping: root = [ this.k ]
      - query: INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v
        args_mapping: root = [ this.k, this.v ]
    batching: { count: 3 }
`);
    expect(await db.query("SELECT k, v FROM kv ORDER BY k")).toEqual([
      { k: "k1", v: 4 },
      { k: "k2", v: 5 },
    ]);
    // init_statement ran once, on the first connection.
    expect(await db.query("SELECT to_regclass('kv_audit') IS NOT NULL AS ok")).toEqual([{ ok: true }]);
  });

  describe("postgres_notify", () => {
    const enrich = (extra = "") => `
input:
  postgres_notify:
    dsn: \${DSN}
    tables: [ orders ]
${extra}
pipeline:
  threads: 1
  processors:
    - mapping: |
        root.order_id = this.row.id
        root.customer = this.row.customer.uppercase()
        root.total = this.row.qty * this.row.price
        root.operation = this.operation
output:
  sql_insert:
    driver: postgres
    dsn: \${DSN}
    table: orders_enriched
    columns: [ order_id, customer, total, operation ]
    args_mapping: root = [ this.order_id, this.customer, this.total, this.operation ]
    suffix: ON CONFLICT (order_id, operation) DO NOTHING
`;
    const enrichedCount = async (op = "INSERT") =>
      (
        await db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders_enriched WHERE operation = $1", [
          op,
        ])
      )[0].n;
    const logSize = async () =>
      (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM reef.change_log"))[0].n;
    const insertOrders = async (from: number, to: number) => {
      for (let i = from; i <= to; i++)
        await db.query("INSERT INTO orders (id, customer, qty, price) VALUES ($1, $2, $3, 2.5)", [
          i,
          `customer-${i}`,
          i,
        ]);
    };

    beforeAll(async () => {
      await db.query(
        "CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, qty int NOT NULL, price numeric NOT NULL, note text)",
      );
      await db.query(
        "CREATE TABLE orders_enriched (order_id int, customer text, total numeric, operation text, PRIMARY KEY (order_id, operation))",
      );
      await db.query("CREATE TABLE payments (id int PRIMARY KEY, amount numeric NOT NULL, note text)");
      await db.query("INSERT INTO payments SELECT g, g FROM generate_series(1, 5) g");
    });

    it("20 inserts → 20 enriched rows; the change log is emptied once they are delivered", async () => {
      const s = await started(enrich());
      await insertOrders(1, 20);
      await waitFor(async () => (await enrichedCount()) === 20, "20 enriched orders", 30_000);
      const rows = await db.query("SELECT * FROM orders_enriched WHERE order_id = 7");
      expect(rows).toEqual([{ order_id: 7, customer: "CUSTOMER-7", total: "17.5", operation: "INSERT" }]);
      await waitFor(async () => (await logSize()) === 0, "an empty change log");
      await s.stop(5_000);
    });

    it("an update is an UPDATE message with the new and the old row; a row over 8000 bytes arrives whole", async () => {
      const out = join(dir, "changes.jsonl");
      const s = await started(`
input:
  postgres_notify:
    dsn: \${DSN}
    tables: [ payments ]
    operations: [ update, delete ]
    channel: payments_audit
output:
  file: { path: ${out}, codec: lines }
`);
      const big = "x".repeat(20_000);
      await db.query("UPDATE payments SET amount = 100, note = $1 WHERE id = 3", [big]);
      await db.query("INSERT INTO payments (id, amount) VALUES (99, 1)");
      await db.query("DELETE FROM payments WHERE id = 99");
      await waitFor(() => readLines(out).length >= 2, "the UPDATE and DELETE messages");
      const [update, del] = readLines(out).map((l) => JSON.parse(l));
      expect(update.operation).toBe("UPDATE");
      expect(update.table).toBe("payments");
      expect(update.row).toMatchObject({ id: 3, amount: 100 });
      expect(update.row.note).toHaveLength(20_000);
      expect(update.old).toEqual({ id: 3, amount: 3, note: null });
      expect(del).toMatchObject({ operation: "DELETE", table: "payments", row: null, old: { id: 99 } });
      await s.stop(5_000);
      // The INSERT of payment 99 was not an operation this channel asked for.
      expect(readLines(out)).toHaveLength(2);
    });

    it("changes made while no pipeline runs are delivered when it starts again", async () => {
      const s = await started(enrich());
      await insertOrders(21, 22);
      await waitFor(async () => (await enrichedCount()) === 22, "22 enriched orders");
      await s.stop(5_000);
      await insertOrders(23, 25);
      const again = await started(enrich());
      await waitFor(async () => (await enrichedCount()) === 25, "the 3 orders inserted while stopped");
      await again.stop(5_000);
    });

    it("PostgreSQL restarted mid-stream: the input reconnects and no row change is lost", async () => {
      const s = await started(enrich());
      await insertOrders(26, 35);
      await waitFor(async () => (await enrichedCount()) === 35, "35 enriched orders");
      // Changes in flight when the server goes away, and changes made before the input is back.
      await insertOrders(36, 40);
      await db.restart();
      await insertOrders(41, 50);
      await waitFor(
        async () => (await enrichedCount()) === 50,
        "all 50 orders enriched after the restart",
        40_000,
      );
      await waitFor(async () => (await logSize()) === 0, "an empty change log after the restart");
      const ids = await db.query<{ order_id: number }>(
        "SELECT order_id FROM orders_enriched WHERE operation = 'INSERT' ORDER BY order_id",
      );
      expect(ids.map((r) => r.order_id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      await s.stop(5_000);
    });

    it("installs idempotently; a second consumer of the channel stands by and nothing is delivered twice", async () => {
      const a = await started(enrich());
      const b = await started(enrich());
      await insertOrders(51, 55);
      await waitFor(async () => (await enrichedCount()) === 55, "orders 51-55 enriched");
      const triggers = await db.query(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'orders'::regclass AND NOT tgisinternal ORDER BY tgname",
      );
      expect(triggers).toEqual([{ tgname: "reef_notify_reef_orders" }]);
      await Promise.all([a.stop(5_000), b.stop(5_000)]);
    });
  });
});
