// The medallion example (infra/local/examples/medallion) against a real PostgreSQL: the
// orders-enrich stream on the built-in engine, then the daily-summary job config run by `reef run`
// with its trigger payload on stdin, as a job run will get it. Also: its lint and its manifest.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, startStream, type RunningStream } from "../../lib/engine";
import { uniqueNames } from "../helpers/nats";
import { postgresUnavailable, startTestPostgres, type TestPostgres } from "../helpers/postgres";
import { quietLogger, reef, waitFor } from "../engine/helpers";

const example = resolve("infra/local/examples/medallion");
const unavailable = postgresUnavailable();
if (unavailable) console.warn(`medallion example test skipped: ${unavailable}`);

describe("the medallion example's configs", () => {
  it("lint clean, with the reef-only warning for postgres_notify", async () => {
    const r = await reef(["lint", example]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(
        /enrich\/config\.yaml:\d+:\d+: warning: input postgres_notify is a reef component/,
      ),
    ]);
  });

  it("reef apply creates the orders-enrich stream and the daily-summary job from their manifests", async () => {
    const { env } = uniqueNames();
    const r = await reef(["apply", "-f", example, "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({ id: "orders-enrich", action: "created" }),
      expect.objectContaining({ id: "daily-summary", action: "created" }),
    ]);
  });
});

describe.skipIf(unavailable !== null)("the medallion example against PostgreSQL", () => {
  let db: TestPostgres;
  let stream: RunningStream | undefined;

  beforeAll(async () => {
    db = await startTestPostgres();
    await db.query(readFileSync(join(example, "schema.sql"), "utf8"));
  });
  afterAll(async () => {
    await stream?.stop(2_000);
    await db?.stop();
  });

  /** 20 orders over two days: 12 on 2026-01-02, 8 on 2026-01-03. */
  const orders = Array.from({ length: 20 }, (_, i) => {
    const id = i + 1;
    return {
      id,
      customer: ` Customer-${id % 7} `,
      country: ["de", "US", "jp", "FR"][id % 4],
      qty: (id % 5) + 1,
      unitPrice: 10 + id,
      createdAt:
        id <= 12 ? `2026-01-02T${String(id).padStart(2, "0")}:30:00Z` : `2026-01-03T0${id - 12}:15:00+01:00`,
    };
  });

  it("orders-enrich: 20 inserts → 20 enriched rows; an update re-enriches the order", async () => {
    const yaml = readFileSync(join(example, "enrich", "config.yaml"), "utf8");
    const env = { ...process.env, MEDALLION_DSN: db.dsn };
    stream = await startStream(loadConfig(yaml, { env }), { logger: quietLogger, env });
    for (const o of orders)
      await db.query(
        "INSERT INTO orders (id, customer, country, qty, unit_price, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [o.id, o.customer, o.country, o.qty, o.unitPrice, o.createdAt],
      );
    const count = async () =>
      (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders_enriched"))[0].n;
    await waitFor(async () => (await count()) === 20, "20 enriched orders", 30_000);

    // Order 13 (US): 4 × 23 = 92 (small), created 2026-01-03T01:15+01:00 = 2026-01-03 00:15 UTC.
    const [o13] = await db.query(
      "SELECT customer, region, total::text, size, order_day::text FROM orders_enriched WHERE order_id = 13",
    );
    expect(o13).toEqual({
      customer: "customer-6",
      region: "NA",
      total: "92.00",
      size: "small",
      order_day: "2026-01-03",
    });

    await db.query("UPDATE orders SET qty = 10 WHERE id = 13");
    await waitFor(
      async () =>
        (await db.query("SELECT total::text FROM orders_enriched WHERE order_id = 13"))[0].total === "230.00",
      "order 13 re-enriched after its update",
    );
  });

  it("daily-summary: `reef run` with the trigger payload on stdin writes each day's summary", async () => {
    const config = join(example, "summary", "config.yaml");
    for (const day of ["2026-01-02", "2026-01-03"]) {
      const r = await reef(["run", config], {
        stdin: JSON.stringify({ day }) + "\n",
        env: { MEDALLION_DSN: db.dsn },
      });
      expect(r.code, r.stderr).toBe(0);
    }
    // The expected figures, computed from the bronze table independently of the pipeline.
    const expected = await db.query(`
      SELECT (created_at AT TIME ZONE 'UTC')::date::text AS day, count(*)::int AS orders,
             count(DISTINCT lower(trim(customer)))::int AS customers, sum(qty * unit_price)::text AS revenue,
             (count(*) FILTER (WHERE qty * unit_price >= 100))::int AS large
        FROM orders GROUP BY 1 ORDER BY 1`);
    const got = await db.query(
      "SELECT day::text, orders::int, customers::int, revenue::text, large::int FROM daily_summary ORDER BY day",
    );
    expect(got).toEqual(expected);
    expect(got.map((r) => r.orders)).toEqual([12, 8]);
  });
});
