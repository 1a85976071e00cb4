// The deployed handler (middy + Powertools) over lib/converge, called as Lambda would call it.
import type { Context } from "aws-lambda";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { followRequeues } from "../helpers/converge";
import {
  openProcessWorld,
  putConfig,
  putDefinition,
  sampleConfig,
  type ProcessWorld,
} from "../helpers/pipelines";

let w: ProcessWorld;
let handler: (event: unknown, context: Context) => Promise<unknown>;
beforeAll(async () => {
  w = await openProcessWorld();
  // Handlers read their configuration from the environment, as under Lambda.
  Object.assign(process.env, w.env, { REEF_EXECUTOR: "process", POWERTOOLS_LOG_LEVEL: "ERROR" });
  ({ handler } = await import("../../functions/converge"));
});
afterAll(() => w.destroy());

const context = { functionName: "reef-test-converge", awsRequestId: "req-1" } as Context;

it("converges the pipeline named by the change event", async () => {
  const id = `fn-${randomBytes(3).toString("hex")}`;
  await putConfig(w, id, "1", sampleConfig("fn"));
  const revision = await putDefinition(w, { id, status: "published", version: "1" });
  // Called again whenever the answer asks to be (`requeueAfterMs`), as the bridge does.
  const { last: result } = await followRequeues(
    () =>
      handler(
        { key: id, operation: "PUT", revision, timestamp: new Date().toISOString() },
        context,
      ) as Promise<{ requeueAfterMs?: number; phase?: string }>,
  );
  expect(result).toMatchObject({ id, revision, phase: "running", desired: "published" });

  // A stale event (an older revision) still converges to the CURRENT definition.
  await putDefinition(w, { id, status: "draft" });
  const stale = await handler(
    { key: id, operation: "PUT", revision, timestamp: new Date().toISOString() },
    context,
  );
  expect(stale).toMatchObject({ id, phase: "absent", desired: "draft" });
});

it("handles a delete by key alone", async () => {
  const id = `fn-${randomBytes(3).toString("hex")}`;
  await putDefinition(w, { id, status: "draft" });
  await w.store.deleteDefinition(id);
  const result = await handler(
    { key: id, operation: "DEL", revision: 99, timestamp: new Date().toISOString() },
    context,
  );
  expect(result).toMatchObject({ id, phase: "deleted" });
});

it("rejects an event that is not a change event", async () => {
  await expect(handler({ key: "x", operation: "UPSERT" }, context)).rejects.toMatchObject({
    code: "INVALID_EVENT",
  });
});
