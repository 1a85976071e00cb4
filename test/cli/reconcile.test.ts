// `reef reconcile --in-process`: converges every pipeline in this process and then ends by itself
// (its context — NATS connection and executor — is closed; no process.exit()).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  openProcessWorld,
  putConfig,
  putDefinition,
  sampleConfig,
  type ProcessWorld,
} from "../helpers/pipelines";
import { assertBuilt, reef } from "./helpers";

let w: ProcessWorld;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  w = await openProcessWorld({ REEF_ENGINE: "builtin" });
  env = { ...w.env, REEF_EXECUTOR: "process" };
});
afterAll(async () => {
  await w?.destroy();
});

describe("reef reconcile --in-process", () => {
  it("converges a published pipeline and exits 0 on its own", async () => {
    const id = `clirec-${randomBytes(3).toString("hex")}`;
    await putConfig(w, id, "1", sampleConfig("reconcile"));
    await putDefinition(w, { id, status: "published", version: "1" });
    try {
      const r = await reef(["reconcile", "--in-process", "--json"], { env, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as { results: { id: string }[] };
      expect(result.results.map((c) => c.id)).toContain(id);
      expect((await w.executor.list(id)).length).toBe(1);
    } finally {
      await putDefinition(w, { id, status: "draft" });
      await reef(["reconcile", "--in-process"], { env, timeoutMs: 60_000 });
    }
  }, 90_000);

  it("a bad setting is an INVALID_SETTING error naming the variable, exit 1", async () => {
    const r = await reef(["reconcile", "--in-process"], {
      env: { ...env, REEF_EXECUTOR: "kubernetes" },
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('REEF_EXECUTOR must be process, docker, ecs or host (got "kubernetes")');
  }, 90_000);
});
