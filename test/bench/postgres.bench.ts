// PostgreSQL in the built-in engine, on a throwaway cluster this bench starts itself:
// 1. what postgres_notify's row trigger costs writers: N inserts into a table with the trigger
//    against the same inserts into a table without one;
// 2. postgres_notify → mapping → sql_insert (batches of 100) moving N row changes into another table,
//    against a plain node-postgres loop copying the same rows (SELECT, multi-row INSERTs of 100).
// Reports, never asserts.
import { performance } from "node:perf_hooks";
import pg from "pg";
import { loadConfig, startStream } from "../../lib/engine";
import { postgresUnavailable, startTestPostgres } from "../helpers/postgres";

const N = Number(process.env.BENCH_N ?? 5_000);

export default async function bench(): Promise<void> {
  const unavailable = postgresUnavailable();
  if (unavailable) {
    console.log(`skipped: ${unavailable}`);
    return;
  }
  const db = await startTestPostgres();
  const client = new pg.Client({ connectionString: db.dsn });
  await client.connect();
  try {
    for (const t of ["plain", "watched", "copied", "enriched"])
      await client.query(`CREATE TABLE ${t} (id int PRIMARY KEY, customer text, qty int, price numeric)`);
    const insertAll = async (table: string) => {
      const t0 = performance.now();
      await client.query("BEGIN");
      for (let i = 1; i <= N; i++)
        await client.query(`INSERT INTO ${table} VALUES ($1, $2, $3, 2.5)`, [i, `c${i % 100}`, i % 7]);
      await client.query("COMMIT");
      return (performance.now() - t0) / 1000;
    };

    // The stream installs the trigger on `watched` when it starts.
    const yaml = `
input:
  postgres_notify: { dsn: "${db.dsn}", tables: [ watched ], operations: [ insert ] }
pipeline:
  threads: 1
  processors:
    - mapping: 'root = [ this.row.id, this.row.customer.uppercase(), this.row.qty, this.row.price ]'
output:
  sql_insert:
    driver: postgres
    dsn: "${db.dsn}"
    table: enriched
    columns: [ id, customer, qty, price ]
    args_mapping: root = this
    batching: { count: 50, period: 5ms }
logger: { level: ERROR }
`;
    const stream = await startStream(loadConfig(yaml, { env: {} }));
    const plainS = await insertAll("plain");
    const watchedS = await insertAll("watched");
    const t0 = performance.now();
    for (;;) {
      const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM enriched");
      if (rows[0].n >= N) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const streamS = (performance.now() - t0) / 1000;
    await stream.stop(5_000);

    // Baseline: read the same rows and write them in batches of 100 with node-postgres.
    const t1 = performance.now();
    const { rows } = await client.query<{ id: number; customer: string; qty: number; price: string }>(
      "SELECT id, customer, qty, price FROM plain ORDER BY id",
    );
    for (let i = 0; i < rows.length; i += 100) {
      const chunk = rows.slice(i, i + 100);
      const values = chunk
        .map((_, j) => `($${j * 4 + 1},$${j * 4 + 2},$${j * 4 + 3},$${j * 4 + 4})`)
        .join(",");
      await client.query(
        `INSERT INTO copied VALUES ${values}`,
        chunk.flatMap((r) => [r.id, r.customer.toUpperCase(), r.qty, r.price]),
      );
    }
    const copyS = (performance.now() - t1) / 1000;

    const rate = (s: number) => Math.round(N / s).toLocaleString("en");
    console.log(`rows: ${N} (BENCH_N), one transaction of single-row INSERTs each`);
    console.log(`| | seconds | rows/s | ratio |`);
    console.log(`|---|---|---|---|`);
    console.log(`| inserts, no trigger (baseline) | ${plainS.toFixed(2)} | ${rate(plainS)} | 1 |`);
    console.log(
      `| inserts with the postgres_notify trigger | ${watchedS.toFixed(2)} | ${rate(watchedS)} | ${(watchedS / plainS).toFixed(2)}x the time |`,
    );
    console.log(
      `| plain pg copy, SELECT + INSERTs of 100 (baseline) | ${copyS.toFixed(2)} | ${rate(copyS)} | 1 |`,
    );
    console.log(
      `| postgres_notify → mapping → sql_insert, after commit | ${streamS.toFixed(2)} | ${rate(streamS)} | ${(streamS / copyS).toFixed(1)}x the time |`,
    );
  } finally {
    await client.end();
    await db.stop();
  }
}
