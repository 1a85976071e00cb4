// `reef logs`: the sample pipeline of `reef init`, published with the CLI, converged by the process
// executor on the built-in engine; its output is read back from the PIPELINE_LOGS stream.
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { convergeSettled } from "../helpers/converge";
import { waitFor } from "../helpers/nats";
import { openProcessWorld, type ProcessWorld } from "../helpers/pipelines";
import { assertBuilt, reef, reefSpawn, tempDir } from "./helpers";

let w: ProcessWorld;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  w = await openProcessWorld({ REEF_ENGINE: "builtin" });
  env = { ...w.env, REEF_EXECUTOR: "process" };
});
afterAll(() => w.destroy());

it("prints and follows the logs of a running execution", async () => {
  const id = `logs-${randomBytes(3).toString("hex")}`;
  const dir = join(tempDir(), id);
  expect((await reef(["init", dir], { env })).code).toBe(0);
  expect((await reef(["apply", "-f", dir], { env })).code).toBe(0);
  // no execution yet: a clear failure
  const none = await reef(["logs", id], { env });
  expect(none.code).toBe(1);
  expect(none.stderr).toContain(`pipeline ${id} has no log lines in the logs stream and no execution`);

  expect((await reef(["publish", id], { env })).code).toBe(0);
  const r = await convergeSettled(w.deps, id);
  expect(r.phase).toBe("running");

  // the sample config greets every second on stdout
  const out = await waitFor(
    async () => {
      const res = await reef(["logs", id], { env });
      return res.code === 0 && res.stdout.includes('"greeting":"hello reef"') ? res.stdout : null;
    },
    "a greeting in reef logs",
    20_000,
  );
  expect(out).toContain('"name":"reef"');
  const tail = await reef(["logs", id, "--tail", "1", "--json"], { env });
  expect(tail.stdout.trim().split("\n")).toHaveLength(1);
  expect(JSON.parse(tail.stdout)).toMatchObject({
    time: expect.any(String),
    level: expect.any(String),
    message: expect.any(String),
    replica: 0,
  });

  const f = reefSpawn(["logs", id, "-f", "--tail", "0"], env);
  try {
    await waitFor(() => f.lines.some((l) => l.includes("hello reef")), "a followed log line", 20_000);
  } finally {
    f.child.kill("SIGINT");
  }
  expect(await f.exited).toBe(0);
});
