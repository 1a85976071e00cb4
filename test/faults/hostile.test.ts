// Fault: hostile or careless input, written straight into the buckets as any NATS client could,
// while healthy pipelines run. Each hostile pipeline gets a clear error with a code (or, for the
// runtime fault, its messages do) and nothing else changes: the bridge, which runs converge in its
// own process here, stays up; healthy pipelines keep their executions.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createProcessExecutor } from "../../lib/executors/process";
import { openTestStore, uniqueSuffix, waitFor, type TestStore } from "../helpers/nats";
import {
  Changes,
  processIdentity,
  quietConfig,
  settleAndReport,
  snapshotHealthy,
  startBridgeProcess,
  worldEnv,
  type BridgeProcess,
  type World,
} from "./world";

let t: TestStore;
let world: World;
let bridge: BridgeProcess | undefined;
const scripts = mkdtempSync(join(tmpdir(), "reef-fault-scripts-"));

beforeAll(async () => {
  t = await openTestStore();
  world = worldEnv(process.env.NATS_URL!, {
    ...t.env,
    REEF_ENGINE: "builtin",
    REEF_BRIDGE_DURABLE: "fault-hostile",
  });
});
afterAll(async () => {
  await bridge?.stop("SIGKILL");
  const executor = createProcessExecutor(world.env);
  for (const e of await executor.list()) await executor.remove(e);
  await t?.close();
  world?.cleanup();
  rmSync(scripts, { recursive: true, force: true });
});

/** Billion laughs: nine levels of nine aliases (9^9 strings if anything expanded it). */
function aliasBomb(): string {
  const levels = "abcdefghi".split("");
  const lines = [`${levels[0]}: &${levels[0]} ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  for (let i = 1; i < levels.length; i++) {
    const prev = `*${levels[i - 1]}`;
    lines.push(`${levels[i]}: &${levels[i]} [${Array(9).fill(prev).join(",")}]`);
  }
  return `${lines.join("\n")}\ninput:\n  generate:\n    mapping: 'root = 1'\noutput:\n  drop: {}\n`;
}

it("hostile input gets an error with a code; healthy pipelines and the bridge are undisturbed", async () => {
  const executor = createProcessExecutor(world.env);
  const store = t.store;
  const healthyIds = ["hostile-healthy-a", "hostile-healthy-b"];
  for (const id of healthyIds) {
    await store.putConfig(id, "1", quietConfig(id));
    await store.putDefinition(id, JSON.stringify({ id, status: "published", version: "1" }));
  }
  bridge = startBridgeProcess(world.env);
  await waitFor(
    async () => {
      for (const id of healthyIds) if ((await store.getStatus(id))?.phase !== "running") return false;
      return true;
    },
    "healthy pipelines running",
    60_000,
  );
  const healthy = await snapshotHealthy(executor, healthyIds, processIdentity(world.stateDir));

  const text = (s: string) => new TextEncoder().encode(s);
  const program = join(scripts, "netstring.sh");
  writeFileSync(program, "#!/bin/sh\nwhile read line; do printf 'abc:xyz,'; done\n");
  chmodSync(program, 0o755);
  const subject = `fault.netstring.${uniqueSuffix()}`;
  // Each input as a client would write it; one table row each.
  const inputs: { name: string; id: string; write(c: Changes): Promise<unknown> }[] = [
    {
      name: "alias-bomb YAML config",
      id: "hostile-alias",
      async write(c) {
        await store.putConfig(this.id, "1", text(aliasBomb()));
        await c.put(this.id, { status: "published", version: "1" });
        c.want.set(this.id, { kind: "invalid", code: "INVALID_CONFIG" });
      },
    },
    {
      name: "broken YAML config",
      id: "hostile-yaml",
      async write(c) {
        await store.putConfig(this.id, "1", text("input: [unclosed\n  generate: {\n"));
        await c.put(this.id, { status: "published", version: "1" });
        c.want.set(this.id, { kind: "invalid", code: "INVALID_CONFIG" });
      },
    },
    {
      name: "non-JSON definition",
      id: "hostile-json",
      write: (c) => c.raw("hostile-json", "{not json", { kind: "invalid", code: "INVALID_DEFINITION" }),
    },
    {
      name: "key ≠ id",
      id: "hostile-key",
      write: (c) =>
        c.raw("hostile-key", JSON.stringify({ id: "someone-else", status: "published", version: "1" }), {
          kind: "invalid",
          code: "INVALID_DEFINITION",
        }),
    },
    {
      name: "replicas: 1000000",
      id: "hostile-replicas",
      async write(c) {
        await store.putConfig(this.id, "1", quietConfig(this.id));
        await c.put(this.id, { status: "published", version: "1", replicas: 1_000_000 });
        c.want.set(this.id, { kind: "invalid", code: "INVALID_DEFINITION" });
      },
    },
    {
      // valid config, hostile at run time: it runs, and each message fails with an error
      name: "malformed netstring from a subprocess",
      id: "hostile-netstring",
      async write(c) {
        await store.putConfig(
          this.id,
          "1",
          text(`input:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}.in
pipeline:
  threads: 1
  processors:
    - subprocess:
        name: ${program}
        codec_recv: netstring
    - catch:
        - mapping: 'root = "error: " + error()'
output:
  nats:
    urls: [ "\${NATS_URL}" ]
    subject: ${subject}.out
`),
        );
        await c.put(this.id, { status: "published", version: "1" });
      },
    },
  ];
  const rows = inputs.map((input) => ({ input, changes: new Changes(() => store) }));
  for (const { input, changes } of rows) await input.write(changes);

  // the netstring pipeline's messages: each one fails with the decoder's error, none hangs
  const answers: string[] = [];
  const sub = t.nc.subscribe(`${subject}.out`, {
    callback: (_e, m) => {
      answers.push(m.string());
    },
  });
  await waitFor(
    () => {
      if (answers.length < 5) t.nc.publish(`${subject}.in`, `message ${answers.length}`);
      return answers.length >= 5;
    },
    "5 answers of the netstring pipeline",
    90_000,
  );
  sub.unsubscribe();

  for (const { input, changes } of rows) {
    await settleAndReport(
      {
        scenario: `hostile input: ${input.name}`,
        store,
        executor,
        changes,
        healthy,
        identify: processIdentity(world.stateDir),
        others: inputs.map((i) => i.id),
        notes:
          input.id === "hostile-netstring"
            ? [`${answers.length} messages, each failed with "${answers[0]}"`]
            : [`status error: ${JSON.stringify((await store.getStatus(input.id))?.error)}`],
      },
      90_000,
    );
  }
  expect(answers.every((a) => a.startsWith("error: invalid netstring"))).toBe(true);
  expect(bridge.child.exitCode).toBeNull(); // converge ran in the bridge process: it did not crash
  expect(await executor.list("hostile-replicas")).toEqual([]);
}, 240_000);
