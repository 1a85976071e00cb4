// The medallion example run ON reef, end to end: `reef apply` and `reef publish` of both manifests,
// a bridge converging them (the process executor, the built-in engine) and subscribing to the job's
// trigger subject, a real PostgreSQL. Rows written to `orders` are enriched by the orders-enrich
// stream; a message on medallion.summary runs the daily-summary job, whose reply is the run's result.
import { join, resolve } from "node:path";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bridge } from "../../lib/bridge";
import { InProcessInvoker } from "../../lib/invoke";
import type { RunResult } from "../../lib/model";
import { inProcessBridgeConfig, memoryLog } from "../bridge/fakes";
import { reef } from "../cli/helpers";
import { waitFor } from "../helpers/nats";
import { openProcessWorld, type ProcessWorld } from "../helpers/pipelines";
import { postgresUnavailable, startTestPostgres, type TestPostgres } from "../helpers/postgres";

const example = resolve("infra/local/examples/medallion");
const unavailable = postgresUnavailable();
if (unavailable) console.warn(`medallion-on-reef test skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)("the medallion example on reef", () => {
  let db: TestPostgres;
  let w: ProcessWorld;
  let bridge: Bridge | undefined;

  beforeAll(async () => {
    db = await startTestPostgres();
    await db.query(readFileSync(join(example, "schema.sql"), "utf8"));
    w = await openProcessWorld({
      REEF_ENGINE: "builtin",
      MEDALLION_DSN: db.dsn,
      REEF_EXECUTION_ENV: "MEDALLION_DSN",
    });
  }, 60_000);
  afterAll(async () => {
    await bridge?.stop();
    for (const run of (await w?.executor.listRuns()) ?? []) await w.executor.removeRun(run);
    await w?.destroy();
    await db?.stop();
  });

  it("inserts are enriched by the stream; a message on medallion.summary runs the job and replies", async () => {
    const env = { ...w.env, REEF_EXECUTOR: "process" };
    let r = await reef(["apply", "-f", example], { env });
    expect(r.code, r.stderr).toBe(0);
    for (const id of ["orders-enrich", "daily-summary"]) {
      r = await reef(["publish", id], { env });
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }

    const config = inProcessBridgeConfig("medallion", 4);
    const log = memoryLog();
    bridge = new Bridge({ store: w.store, invoker: new InProcessInvoker(async () => w.deps), config, log });
    bridge.start();
    await waitFor(
      async () => (await w.store.getStatus("orders-enrich"))?.phase === "running",
      "orders-enrich to run",
      60_000,
    );
    await waitFor(
      () => log.lines.some((l) => l.message === "job trigger subscribed"),
      "the bridge to subscribe to medallion.summary",
    );

    // Bronze → silver: three orders on one day.
    for (const id of [1, 2, 3]) {
      await db.query(
        "INSERT INTO orders (id, customer, country, qty, unit_price, created_at) VALUES ($1, $2, 'de', $3, 40, '2026-01-02T10:00:00Z')",
        [id, ` Customer-${id} `, id],
      );
    }
    await waitFor(
      async () => (await db.query("SELECT count(*)::int AS n FROM orders_enriched"))[0].n === 3,
      "3 enriched orders",
      30_000,
    );

    // Silver → gold: a job run per message, its result as the reply.
    const reply = await w.nc.request("medallion.summary", JSON.stringify({ day: "2026-01-02" }), {
      timeout: 60_000,
    });
    const result = reply.json<RunResult>();
    expect(result).toMatchObject({ state: "succeeded", exitCode: 0, error: null });
    const summary = await db.query("SELECT day::text, orders::int, revenue::text FROM daily_summary");
    expect(summary).toEqual([{ day: "2026-01-02", orders: 3, revenue: "240.00" }]);
    const status = await waitFor(async () => {
      const s = await w.store.getStatus("daily-summary");
      return s?.runs?.[0]?.state === "succeeded" && s.phase === "idle" ? s : null;
    }, "the job's status to show the run");
    expect(status.runs![0]).toMatchObject({ run: result.run, trigger: "subject" });
    expect(await w.executor.listRuns("daily-summary")).toEqual([]);
  }, 180_000);
});
