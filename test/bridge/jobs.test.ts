// Subject-triggered jobs through the bridge (CONTRACT.md §8): two bridges subscribe in one queue
// group, so each message starts exactly one run; the requester gets the run's result as the reply.
// Real nats-server, the process executor, the built-in engine and a real PostgreSQL.
import { readdirSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bridge } from "../../lib/bridge";
import { InProcessInvoker } from "../../lib/invoke";
import type { RunResult } from "../../lib/model";
import { waitFor } from "../helpers/nats";
import { openProcessWorld, putConfig, putDefinition, type ProcessWorld } from "../helpers/pipelines";
import { postgresUnavailable, startTestPostgres, type TestPostgres } from "../helpers/postgres";
import { inProcessBridgeConfig, memoryLog } from "./fakes";

const unavailable = postgresUnavailable();
if (unavailable) console.warn(`bridge job tests skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)("subject triggers through the bridge", () => {
  let db: TestPostgres;
  let w: ProcessWorld;
  const bridges: Bridge[] = [];

  beforeAll(async () => {
    db = await startTestPostgres();
    await db.query("CREATE TABLE triggered (id serial PRIMARY KEY, name text)");
    w = await openProcessWorld({ REEF_ENGINE: "builtin", JOB_DSN: db.dsn, REEF_EXECUTION_ENV: "JOB_DSN" });
  });
  afterAll(async () => {
    await Promise.all(bridges.map((b) => b.stop()));
    for (const run of (await w?.executor.listRuns()) ?? []) await w.executor.removeRun(run);
    await w?.destroy();
    await db?.stop();
  });

  function startBridge(durable: string) {
    const config = inProcessBridgeConfig(durable, 8);
    const log = memoryLog();
    const bridge = new Bridge({
      store: w.store,
      invoker: new InProcessInvoker(async () => w.deps),
      config,
      log,
    });
    bridges.push(bridge);
    bridge.start();
    return log;
  }

  it("3 messages → 3 succeeded runs with replies, rows in PostgreSQL, no process left", async () => {
    const id = `sub-${randomBytes(3).toString("hex")}`;
    const subject = `orders.${id}.created`;
    await putConfig(
      w,
      id,
      "1",
      `input:
  stdin: {}
output:
  sql_insert:
    driver: postgres
    dsn: \${JOB_DSN}
    table: triggered
    columns: [name]
    args_mapping: root = [ this.name ]
`,
    );
    await putDefinition(w, { id, status: "published", version: "1", mode: "job", trigger: { subject } });
    const logs = [startBridge(`jobs-a-${id}`), startBridge(`jobs-b-${id}`)];
    // both bridges subscribed (a queue group each message reaches once)
    await waitFor(
      () => logs.every((l) => l.lines.some((x) => x.message === "job trigger subscribed")),
      "both bridges to subscribe",
    );

    const replies = await Promise.all(
      ["a", "b", "c"].map((name) =>
        w.nc.request(subject, JSON.stringify({ name: `${id}-${name}` }), { timeout: 60_000 }),
      ),
    );
    const results = replies.map((m) => m.json<RunResult>());
    expect(results.map((r) => [r.state, r.exitCode, r.error])).toEqual([
      ["succeeded", 0, null],
      ["succeeded", 0, null],
      ["succeeded", 0, null],
    ]);
    expect(new Set(results.map((r) => r.run)).size).toBe(3);
    const rows = await db.query("SELECT name FROM triggered WHERE name LIKE $1 ORDER BY name", [`${id}-%`]);
    expect(rows.map((r) => r.name)).toEqual([`${id}-a`, `${id}-b`, `${id}-c`]);

    const status = await waitFor(async () => {
      const s = await w.store.getStatus(id);
      return s?.runs?.length === 3 && s.phase === "idle" ? s : null;
    }, "the status to show 3 runs");
    expect(status.runs!.map((r) => [r.trigger, r.state])).toEqual([
      ["subject", "succeeded"],
      ["subject", "succeeded"],
      ["subject", "succeeded"],
    ]);
    expect(await w.executor.listRuns(id)).toEqual([]);
    // No process of the runs is left on this machine (a runner carries its pipeline in its environment).
    expect(processesOf(id)).toEqual([]);
  });
});

/** The pids of live processes (of this user) whose environment names pipeline `id`. */
function processesOf(id: string): number[] {
  const marker = `PIPELINE_ID=${id}`;
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(marker);
      } catch {
        return false; // gone, or another user's
      }
    })
    .map(Number);
}
