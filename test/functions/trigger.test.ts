// The deployed `trigger` handler (middy + Powertools) over lib/converge, called as Lambda would
// call it (by the bridge for a trigger subject's message, by `reef trigger`, by the api).
import type { Context } from "aws-lambda";
import { randomBytes } from "node:crypto";
import { createInbox } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge, type ConvergeDeps } from "../../lib/converge";
import type { RunResult } from "../../lib/model";
import { waitFor } from "../helpers/nats";
import {
  openProcessWorld,
  putConfig,
  putDefinition,
  sampleConfig,
  type ProcessWorld,
} from "../helpers/pipelines";

let w: ProcessWorld;
let deps: ConvergeDeps;
let handler: (event: unknown, context: Context) => Promise<unknown>;

beforeAll(async () => {
  w = await openProcessWorld({ REEF_ENGINE: "builtin" });
  Object.assign(process.env, w.env, { REEF_EXECUTOR: "process", POWERTOOLS_LOG_LEVEL: "ERROR" });
  deps = w.deps;
  ({ handler } = await import("../../functions/trigger"));
});
afterAll(async () => {
  for (const run of (await w?.executor.listRuns()) ?? []) await w.executor.removeRun(run);
  await w?.destroy();
});

const context = { functionName: "reef-test-trigger", awsRequestId: "req-1" } as Context;
const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;
/** stdin → NATS subject `out`. */
const toNats = (out: string) =>
  `input:\n  stdin: {}\noutput:\n  nats:\n    urls: ["\${NATS_URL}"]\n    subject: ${out}\n`;

describe("the trigger function", () => {
  it("starts a run with the event's payload as stdin; the reply subject gets the result when it ends", async () => {
    const id = uid("fnjob");
    await putConfig(w, id, "1", toNats(`out.${id}`));
    await putDefinition(w, { id, status: "published", version: "1", mode: "job" });
    const out = w.nc.subscribe(`out.${id}`, { max: 1 });
    const inbox = createInbox();
    const reply = w.nc.subscribe(inbox, { max: 1 });
    await w.nc.flush();

    const answer = (await handler(
      { id, trigger: "subject", payload: Buffer.from("hello\n").toString("base64"), replyTo: inbox },
      context,
    )) as { run: { run: string; state: string; trigger: string }; result: { phase: string } };
    expect(answer.run).toMatchObject({ state: "running", trigger: "subject" });
    expect(answer.result.phase).toBe("running");

    // The run's end is observed by a later converge (the bridge's requeue), which replies.
    await waitFor(
      async () => {
        await converge(deps, id);
        return (await w.store.getStatus(id))?.runs?.[0]?.state === "succeeded";
      },
      "the run to succeed",
      30_000,
    );
    for await (const m of out) expect(m.string()).toBe("hello");
    for await (const m of reply) {
      expect(m.json<RunResult>()).toEqual({
        run: answer.run.run,
        state: "succeeded",
        exitCode: 0,
        error: null,
      });
    }
  });

  it("refuses a malformed event, a stream and an unknown pipeline with named errors, starting nothing", async () => {
    await expect(handler({ id: "Not An Id", trigger: "manual" }, context)).rejects.toMatchObject({
      name: "InvalidEventError",
    });
    await expect(handler({ id: uid("x"), trigger: "sometimes" }, context)).rejects.toMatchObject({
      name: "InvalidEventError",
    });
    const stream = uid("fnstream");
    await putConfig(w, stream, "1", sampleConfig("s"));
    await putDefinition(w, { id: stream, status: "draft", version: "1" });
    await expect(handler({ id: stream, trigger: "manual" }, context)).rejects.toMatchObject({
      name: "JobTriggerError",
      code: "NOT_A_JOB",
    });
    await expect(handler({ id: uid("nope"), trigger: "manual" }, context)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await w.executor.listRuns(stream)).toEqual([]);
  });
});
