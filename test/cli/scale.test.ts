// `autoscale` through the user's surfaces: a manifest applies it, `reef get` shows it, `reef scale`
// edits it with compare-and-set, and bad values are refused with a clear error.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore, type TestStore } from "../helpers/nats";
import { assertBuilt, reef, reefJson, tempDir } from "./helpers";

let t: TestStore;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  t = await openTestStore();
  env = { ...t.env, REEF_ENGINE: "builtin" };
});
afterAll(async () => {
  await t?.close();
});

interface View {
  revision: number;
  definition: { replicas: number; autoscale?: Record<string, unknown> } | null;
}

async function manifest(id: string, autoscale: string): Promise<string> {
  const dir = tempDir();
  await writeFile(
    join(dir, "pipeline.yaml"),
    `id: ${id}\nreplicas: 2\n${autoscale}config:\n  input:\n    generate:\n      mapping: 'root = "x"'\n      interval: 1s\n  output:\n    drop: {}\n`,
  );
  return dir;
}

describe("reef and autoscale", () => {
  const id = `scales-${randomBytes(3).toString("hex")}`;

  it("a manifest's autoscale block is applied and shown", async () => {
    const dir = await manifest(id, "autoscale: { min: 1, max: 4, targetPending: 500, cooldown: 30s }\n");
    const r = await reef(["apply", "-f", dir], { env });
    expect(r.code, r.stderr).toBe(0);
    const v = await reefJson<View>(["get", id], env);
    expect(v.definition?.autoscale).toEqual({ min: 1, max: 4, targetPending: 500, cooldown: "30s" });
    const text = await reef(["get", id], { env });
    expect(text.stdout).toMatch(/autoscale\s+min 1, max 4, targetPending 500, cooldown 30s/);
  });

  it("a bad block in a manifest is refused, naming the field", async () => {
    const dir = await manifest(id, "autoscale: { min: 5, max: 4, targetPending: 500, cooldown: soon }\n");
    const r = await reef(["apply", "-f", dir], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/autoscale\.min: min 5 is above max 4/);
    expect(r.stderr).toMatch(/autoscale\.cooldown: cooldown must be a duration/);
  });

  it("reef scale edits the block (the other fields keep their value), with compare-and-set", async () => {
    const before = await reefJson<View>(["get", id], env);
    const r = await reefJson<{ action: string; changes: string[]; revision: number }>(
      ["scale", id, "--max", "8", "--target", "1000"],
      env,
    );
    expect(r.action).toBe("updated");
    expect(r.changes).toEqual([
      "autoscale min 1 max 4 targetPending 500 cooldown 30s → min 1 max 8 targetPending 1000 cooldown 30s",
    ]);
    const after = await reefJson<View>(["get", id], env);
    expect(after.definition).toMatchObject({
      replicas: 2,
      autoscale: { min: 1, max: 8, targetPending: 1000, cooldown: "30s" },
    });

    // a stale revision is refused, nothing written
    const stale = await reef(["scale", id, "--min", "2", "--revision", String(before.revision)], { env });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/REVISION_MISMATCH/);
    expect((await reefJson<View>(["get", id], env)).definition?.autoscale?.min).toBe(1);
  });

  it("reef scale refuses what the definition would not accept, and --off removes the block", async () => {
    const over = await reef(["scale", id, "--max", "33"], { env });
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/autoscale\.max: max must be at most 32 \(REEF_MAX_REPLICAS\)/);
    const usage = await reef(["scale", id], { env });
    expect(usage.code).toBe(2);
    const badCooldown = await reef(["scale", id, "--cooldown", "later"], { env });
    expect(badCooldown.code).toBe(2);
    expect(badCooldown.stderr).toMatch(/duration like 90s/);

    const off = await reef(["scale", id, "--off"], { env });
    expect(off.code, off.stderr).toBe(0);
    expect((await reefJson<View>(["get", id], env)).definition?.autoscale).toBeUndefined();
    const missing = await reef(["scale", id, "--max", "3"], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/has no autoscale yet: give --min, --target/);
  });

  it("an input replicas cannot share: apply and publish warn that autoscale has no effect", async () => {
    const other = `scales-${randomBytes(3).toString("hex")}`;
    const dir = await manifest(other, "autoscale: { min: 1, max: 4, targetPending: 500, cooldown: 30s }\n");
    const applied = await reef(["apply", "-f", dir], { env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(
      /warning 1:1 input generate makes its own messages in every replica \(replicas cannot share its work\): autoscale has no effect/,
    );
    const published = await reefJson<{ lint: { issues: { level: string; message: string }[] } }>(
      ["publish", other],
      env,
    );
    expect(published.lint.issues).toEqual([
      expect.objectContaining({
        level: "warning",
        message: expect.stringMatching(/autoscale has no effect/),
      }),
    ]);
  });

  it("reef lint of a manifest: the config's lint, and a warning when autoscale has no effect", async () => {
    const noEffect = await manifest(
      "lint-me",
      "autoscale: { min: 1, max: 4, targetPending: 500, cooldown: 30s }\n",
    );
    const warned = await reef(["lint", join(noEffect, "pipeline.yaml")], { env });
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stdout).toMatch(/pipeline\.yaml:1:1: warning: input generate .*autoscale has no effect/);
    // --deprecated fails on warnings
    expect((await reef(["lint", "--deprecated", noEffect], { env })).code).toBe(1);

    const shared = tempDir();
    await writeFile(join(shared, "config.yaml"), SHARED_CONFIG);
    await writeFile(
      join(shared, "pipeline.yaml"),
      "id: lint-shared\nautoscale: { min: 1, max: 4, targetPending: 500, cooldown: 30s }\nconfig: ./config.yaml\n",
    );
    const clean = await reef(["lint", shared, "--json"], { env });
    expect(clean.code, clean.stdout).toBe(0);
    // the config file once, with no finding
    expect(JSON.parse(clean.stdout)).toEqual({
      ok: true,
      files: [{ file: join(shared, "config.yaml"), issues: [] }],
    });

    // a plain Benthos config named pipeline.yaml is still linted as a config
    const plain = tempDir();
    await writeFile(join(plain, "pipeline.yaml"), "input:\n  generate: { mapping: 'root = 1', bogus: 1 }\n");
    const asConfig = await reef(["lint", join(plain, "pipeline.yaml")], { env });
    expect(asConfig.code).toBe(1);
    expect(asConfig.stdout).toMatch(/bogus/);

    const job = tempDir();
    await writeFile(
      join(job, "pipeline.yaml"),
      "id: lint-job\nmode: job\nautoscale: { min: 1, max: 4, targetPending: 500, cooldown: 30s }\nconfig: ./config.yaml\n",
    );
    await writeFile(join(job, "config.yaml"), SHARED_CONFIG);
    const refused = await reef(["lint", join(job, "pipeline.yaml")], { env });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/autoscale needs mode "stream"/);
  });

  it("autoscale on a mode job pipeline is refused with a clear message, nothing written", async () => {
    const job = `scales-${randomBytes(3).toString("hex")}`;
    const dir = tempDir();
    await writeFile(
      join(dir, "pipeline.yaml"),
      `id: ${job}\nmode: job\nautoscale: { min: 1, max: 4, targetPending: 500, cooldown: 30s }\nconfig:\n  input:\n    generate: { count: 1, mapping: 'root = 1' }\n  output:\n    drop: {}\n`,
    );
    const r = await reef(["apply", "-f", dir], { env });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(
      /autoscale: autoscale needs mode "stream": a job runs once per trigger/,
    );
    expect((await reef(["get", job], { env })).code).toBe(1);
  });
});

const SHARED_CONFIG = `input:
  nats_jetstream:
    urls: [ "nats://127.0.0.1:4222" ]
    subject: work.in
    durable: work
output:
  drop: {}
`;
