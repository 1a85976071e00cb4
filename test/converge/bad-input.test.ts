import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge } from "../../lib/converge";
import { convergeSettled } from "../helpers/converge";
import {
  openProcessWorld,
  putConfig,
  putDefinition,
  sampleConfig,
  type ProcessWorld,
} from "../helpers/pipelines";

let w: ProcessWorld;
let good: string; // a pipeline that must keep running whatever happens to the others
beforeAll(async () => {
  w = await openProcessWorld();
  good = `good-${randomBytes(3).toString("hex")}`;
  await putConfig(w, good, "1", sampleConfig("good"));
  await putDefinition(w, { id: good, status: "published", version: "1" });
  expect((await convergeSettled(w.deps, good)).phase).toBe("running");
});
afterAll(() => w.destroy());

const uid = () => `bad-${randomBytes(3).toString("hex")}`;
const raw = (key: string, value: string) => w.store.putDefinition(key, value);

interface Case {
  name: string;
  write: (key: string) => Promise<unknown>;
  code: string;
  message: RegExp;
  key?: () => string;
}

const cases: Case[] = [
  {
    name: "value not JSON",
    write: (k) => raw(k, "{not json"),
    code: "INVALID_DEFINITION",
    message: /not JSON/,
  },
  {
    name: "value a JSON array",
    write: (k) => raw(k, "[1,2]"),
    code: "INVALID_DEFINITION",
    message: /JSON object/,
  },
  {
    name: "key ≠ id",
    write: (k) => raw(k, JSON.stringify({ id: "someone-else", status: "draft" })),
    code: "INVALID_DEFINITION",
    message: /does not match its key/,
  },
  {
    name: "id with a path in it",
    write: (k) => raw(k, JSON.stringify({ id: "../x", status: "draft" })),
    code: "INVALID_DEFINITION",
    message: /id: .*DNS label/,
  },
  {
    name: "id with capitals and underscore",
    key: () => `A_B${randomBytes(2).toString("hex")}`,
    write: (k) => raw(k, JSON.stringify({ id: k, status: "draft" })),
    code: "INVALID_DEFINITION",
    message: /DNS label/,
  },
  {
    name: "id of 64 characters",
    key: () => "a".repeat(58) + randomBytes(3).toString("hex"),
    write: (k) => raw(k, JSON.stringify({ id: k, status: "draft" })),
    code: "INVALID_DEFINITION",
    message: /DNS label/,
  },
  {
    name: "unknown status",
    write: (k) => raw(k, JSON.stringify({ id: k, status: "running", version: "1" })),
    code: "INVALID_DEFINITION",
    message: /status must be one of draft, published, paused/,
  },
  {
    name: "version with bad characters",
    write: (k) => raw(k, JSON.stringify({ id: k, status: "published", version: "1/../2" })),
    code: "INVALID_DEFINITION",
    message: /version/,
  },
  {
    name: "published without a version",
    write: (k) => raw(k, JSON.stringify({ id: k, status: "published" })),
    code: "INVALID_DEFINITION",
    message: /version is required/,
  },
  {
    name: "negative replicas",
    write: (k) => raw(k, JSON.stringify({ id: k, status: "published", version: "1", replicas: -1 })),
    code: "INVALID_DEFINITION",
    message: /replicas must be an integer >= 0/,
  },
  {
    name: "fractional replicas",
    write: (k) => raw(k, JSON.stringify({ id: k, status: "published", version: "1", replicas: 1.5 })),
    code: "INVALID_DEFINITION",
    message: /replicas must be an integer >= 0/,
  },
  {
    name: "replicas above REEF_MAX_REPLICAS (a million, with a valid config)",
    write: async (k) => {
      await putConfig(w, k, "1", sampleConfig("many"));
      return raw(k, JSON.stringify({ id: k, status: "published", version: "1", replicas: 1_000_000 }));
    },
    code: "INVALID_DEFINITION",
    message: /replicas must be at most 32 \(REEF_MAX_REPLICAS\)/,
  },
  {
    name: "published with a missing config object",
    write: (k) => raw(k, JSON.stringify({ id: k, status: "published", version: "9" })),
    code: "CONFIG_NOT_FOUND",
    message: /\/9 not found/,
  },
  {
    name: "config that is not valid YAML",
    write: async (k) => {
      await putConfig(w, k, "1", "input: [unclosed\n  - : :\n");
      return raw(k, JSON.stringify({ id: k, status: "published", version: "1" }));
    },
    code: "INVALID_CONFIG",
    message: /not valid YAML/,
  },
];

describe("bad input marks only that pipeline failed, with a precise error", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const key = c.key?.() ?? uid();
      const revision = (await c.write(key)) as number;
      const r = await converge(w.deps, key);
      expect(r.phase).toBe("failed");
      const status = await w.store.getStatus(key);
      expect(status).toMatchObject({ id: key, phase: "failed", revision, error: { code: c.code } });
      expect(status!.error!.message).toMatch(c.message);
      expect(r.actions).toEqual([]);
      expect(await w.executor.list(key)).toEqual([]);
      // the other pipeline is untouched
      expect((await w.executor.list(good)).map((e) => e.state)).toEqual(["running"]);
    });
  }

  it("keeps the last-known-good execution running when a running pipeline's definition breaks", async () => {
    const id = uid();
    await putConfig(w, id, "1", sampleConfig("lkg"));
    await putDefinition(w, { id, status: "published", version: "1" });
    await convergeSettled(w.deps, id);
    const [before] = await w.executor.list(id);

    for (const broken of [
      "{oops",
      JSON.stringify({ id, status: "published", version: "2" }), // config 2 missing
      JSON.stringify({ id, status: "published", version: "1", replicas: -3 }),
      JSON.stringify({ id, status: "published", version: "1", replicas: 33 }),
    ]) {
      await raw(id, broken);
      const r = await convergeSettled(w.deps, id);
      expect(r.phase).toBe("failed");
      expect(await w.executor.list(id)).toEqual([before]);
      expect(await w.engineConfig(id, '"lkg"')).toContain('"lkg"');
    }
    // fixing it converges again; the running execution is kept as it is
    await putDefinition(w, { id, status: "published", version: "1" });
    const fixed = await convergeSettled(w.deps, id);
    expect(fixed).toMatchObject({ phase: "running", actions: [], error: null });
    await putDefinition(w, { id, status: "draft" });
    await convergeSettled(w.deps, id);
  });

  it("REEF_MAX_REPLICAS sets the cap: up to it runs, one more is invalid", async () => {
    const id = uid();
    await putConfig(w, id, "1", sampleConfig("cap"));
    process.env.REEF_MAX_REPLICAS = "2";
    try {
      await raw(id, JSON.stringify({ id, status: "published", version: "1", replicas: 3 }));
      const over = await convergeSettled(w.deps, id);
      expect(over).toMatchObject({ phase: "failed", actions: [] });
      expect(over.error).toEqual({
        code: "INVALID_DEFINITION",
        message: expect.stringContaining("replicas must be at most 2 (REEF_MAX_REPLICAS)"),
      });
      expect(await w.executor.list(id)).toEqual([]);
      await raw(id, JSON.stringify({ id, status: "published", version: "1", replicas: 2 }));
      expect((await convergeSettled(w.deps, id)).phase).toBe("running");
      expect(await w.executor.list(id)).toHaveLength(2);
    } finally {
      delete process.env.REEF_MAX_REPLICAS;
      await putDefinition(w, { id, status: "draft" });
      await convergeSettled(w.deps, id);
    }
  });

  it("a malformed REEF_MAX_REPLICAS is an INVALID_SETTING error, and nothing starts", async () => {
    const id = uid();
    await putConfig(w, id, "1", sampleConfig("bad-setting"));
    await raw(id, JSON.stringify({ id, status: "published", version: "1", replicas: 1 }));
    process.env.REEF_MAX_REPLICAS = "lots";
    try {
      const r = await convergeSettled(w.deps, id);
      expect(r).toMatchObject({ phase: "failed", actions: [] });
      expect(r.error).toEqual({
        code: "INVALID_SETTING",
        message: 'REEF_MAX_REPLICAS must be a whole number of at least 1 (got "lots")',
      });
      expect(await w.executor.list(id)).toEqual([]);
    } finally {
      delete process.env.REEF_MAX_REPLICAS;
    }
  });

  it("accepts what other clients may write: integer versions, unknown fields, no name", async () => {
    const id = uid();
    await putConfig(w, id, "3", sampleConfig("int"));
    await raw(
      id,
      JSON.stringify({ id, status: "paused", version: 3, owner: "go-client", labels: { team: "x" } }),
    );
    const r = await convergeSettled(w.deps, id);
    expect(r).toMatchObject({ phase: "stopped", error: null });
    expect((await w.store.getStatus(id))?.version).toBe("3");
  });
});
