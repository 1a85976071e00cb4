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
});
