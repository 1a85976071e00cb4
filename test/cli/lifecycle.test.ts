// The `reef` CLI end to end: the built CLI against the real test nats-server, unique buckets per file.
import { spawn, spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configDigest } from "../../lib/store";
import { openTestStore, statusOf, waitFor, type TestStore } from "../helpers/nats";
import { assertBuilt, REEF, reef, reefJson, reefSpawn, tempDir, type RunResult } from "./helpers";

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

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;

async function definition(id: string): Promise<Record<string, unknown> | null> {
  const e = await t.store.getDefinitionEntry(id);
  return e?.operation === "PUT" ? JSON.parse(new TextDecoder().decode(e.value)) : null;
}

interface View {
  id: string;
  revision: number;
  definition: { status: string; version?: string; replicas: number; labels?: Record<string, string> } | null;
  observed: { phase: string; version: string | null } | null;
}

describe("reef lifecycle", () => {
  it("init → apply → publish → list/get → new config → versions → diff → rollback → pause → delete", async () => {
    const dir = join(tempDir(), uid("orders"));
    const init = await reef(["init", dir], { env });
    expect(init.code, init.stderr).toBe(0);
    const id = dir.split("/").pop()!;
    const manifestPath = join(dir, "pipeline.yaml");
    const configPath = join(dir, "config.yaml");
    const config1 = await readFile(configPath, "utf8");
    expect(await readFile(manifestPath, "utf8")).toContain(`id: ${id}`);
    expect(config1).toContain("tests:");

    // apply: version 1, draft
    let r = await reef(["apply", "-f", dir], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${id}: created (version 1, draft)`);
    expect(await definition(id)).toMatchObject({
      id,
      status: "draft",
      version: "1",
      replicas: 1,
      labels: { team: "example" },
    });
    const stored1 = await t.store.getConfig(id, "1");
    expect(stored1?.digest).toBe(configDigest(new TextEncoder().encode(config1)));

    // applying the same thing again writes nothing
    const rev1 = (await t.store.getDefinitionEntry(id))!.revision;
    r = await reef(["apply", "-f", dir], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${id}: unchanged`);
    expect((await t.store.getDefinitionEntry(id))!.revision).toBe(rev1);

    // publish (the sample config lints clean with the built-in linter)
    r = await reef(["publish", id], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("status draft → published");
    expect(await definition(id)).toMatchObject({ status: "published", version: "1" });

    // list / get JSON: desired next to observed (seeded as the control plane would write it)
    await t.store.writeStatus({
      id,
      phase: "running",
      desired: "published",
      version: "1",
      revision: (await t.store.getDefinitionEntry(id))!.revision,
      executor: "process",
      executions: [{ id: `${id}-0`, state: "running", version: "1" }],
      error: null,
      updatedAt: new Date().toISOString(),
    });
    const list = await reefJson<View[]>(["list"], env);
    expect(list.find((v) => v.id === id)).toMatchObject({
      definition: { status: "published", version: "1" },
      observed: { phase: "running", version: "1" },
    });
    const got = await reefJson<View>(["get", id], env);
    expect(got).toMatchObject({ id, definition: { status: "published" }, observed: { phase: "running" } });
    const table = await reef(["list"], { env });
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+published\\s+1\\s+running\\s+\\S+\\s+1/1`));

    // a new config: --dry-run shows the plan and writes nothing; apply makes version 2 (still published)
    const config2 = config1.replace('"hello "', '"hi "').replace('"hello world"', '"hi world"');
    expect(config2).not.toBe(config1);
    await writeFile(configPath, config2);
    r = await reef(["apply", "-f", dir, "--dry-run"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${id}: new version 2 (dry run)`);
    expect(await t.store.getConfig(id, "2")).toBeNull();
    r = await reef(["apply", "-f", dir], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${id}: new version 2`);
    expect(await definition(id)).toMatchObject({ status: "published", version: "2" });

    // versions
    const versions = await reefJson<{ current: string; versions: { version: string; digest: string }[] }>(
      ["versions", id],
      env,
    );
    expect(versions.current).toBe("2");
    expect(versions.versions.map((v) => v.version)).toEqual(["1", "2"]);
    expect(versions.versions[1].digest).toBe(configDigest(new TextEncoder().encode(config2)));

    // diff 1 → current
    r = await reef(["diff", id, "1"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`--- ${id}/1`);
    expect(r.stdout).toContain(`+++ ${id}/2`);
    expect(r.stdout).toContain('-        root.greeting = "hello " + this.name');
    expect(r.stdout).toContain('+        root.greeting = "hi " + this.name');

    // rollback (default: the previous version), status kept
    r = await reef(["rollback", id], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("version 2 → 1");
    expect(await definition(id)).toMatchObject({ status: "published", version: "1" });
    // uploading version 2's content again reuses version 2 (no new object)
    r = await reef(["apply", "-f", dir], { env });
    expect(r.stdout).toContain("version 1 → 2");
    expect((await t.store.listConfigVersions(id)).sort()).toEqual(["1", "2"]);
    r = await reef(["rollback", id, "--to", "1"], { env });
    expect(r.code).toBe(0);

    // pause, then draft with an explicit version
    r = await reef(["pause", id], { env });
    expect(r.code).toBe(0);
    expect(await definition(id)).toMatchObject({ status: "paused", version: "1" });
    r = await reef(["draft", id, "--version", "2"], { env });
    expect(r.code).toBe(0);
    expect(await definition(id)).toMatchObject({ status: "draft", version: "2" });

    // delete: refused without --yes when stdin is not a terminal (usage error), done with --yes
    r = await reef(["delete", id], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--yes");
    expect(await definition(id)).not.toBeNull();
    r = await reef(["delete", id, "--yes"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect((await t.store.getDefinitionEntry(id))?.operation).toBe("DEL");
    // versions stay (user data) unless --purge
    expect((await t.store.listConfigVersions(id)).length).toBe(2);
    r = await reef(["get", id], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[NOT_FOUND]");
  }, 180_000); // ~25 CLI runs: generous on a loaded machine, still bounded

  it("applies a folder of many manifests with progress and reports per-pipeline failures", async () => {
    const root = tempDir();
    const ids = [uid("many-a"), uid("many-b"), uid("many-c")];
    for (const id of ids) await reef(["init", join(root, id)], { env });
    // a broken config in the third: refused on publish (status in the manifest), the others apply
    await writeFile(join(root, ids[2], "config.yaml"), "input:\n  nope_input: {}\noutput:\n  stdout: {}\n");
    const m = join(root, ids[2], "pipeline.yaml");
    await writeFile(m, (await readFile(m, "utf8")) + "status: published\n");
    const r = await reef(["apply", "-f", root], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`[1/3]`);
    expect(r.stdout).toContain(`[3/3]`);
    expect(r.stdout).toContain(`${ids[0]}: created (version 1, draft)`);
    expect(r.stdout).toMatch(new RegExp(`${ids[2]}: \\[LINT_FAILED\\]`));
    expect(r.stderr).toContain("1 of 3 pipelines failed");
    expect(await definition(ids[0])).toMatchObject({ status: "draft" });
    expect(await definition(ids[2])).toBeNull();
  });

  it("follows status changes with status --watch", async () => {
    const id = uid("watch");
    const dir = join(tempDir(), id);
    await reef(["init", dir], { env });
    await reef(["apply", "-f", dir], { env });
    const w = reefSpawn(["status", id, "--watch", "--json"], env);
    try {
      const write = (phase: "pending" | "running", revision: number) =>
        t.store.writeStatus(statusOf(id, revision, phase));
      await write("pending", 1);
      await waitFor(() => w.lines.some((l) => l.includes('"pending"')), "the pending status line", 15_000);
      await write("running", 2);
      await waitFor(() => w.lines.some((l) => l.includes('"running"')), "the running status line", 15_000);
      expect(JSON.parse(w.lines.at(-1)!)).toMatchObject({ id, phase: "running", revision: 2 });
    } finally {
      w.child.kill("SIGINT");
    }
    expect(await w.exited).toBe(0);
  });
});

describe("on a terminal", () => {
  // `script` gives the CLI a pseudo-terminal (util-linux); without it this check cannot run here.
  const hasScript = spawnSync("script", ["--version"]).status === 0;

  // Node's colour check treats NO_COLOR as set even when empty: remove it
  function withoutNoColor(e: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const copy = { ...e };
    delete copy.NO_COLOR;
    delete copy.NODE_DISABLE_COLORS;
    delete copy.FORCE_COLOR;
    // Node's colour detection treats CI=… as a 2-colour terminal; a person's terminal has no CI.
    delete copy.CI;
    return copy;
  }

  function onTty(args: string, input: string): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = spawn("script", ["-qec", `${process.execPath} ${REEF} ${args}`, "/dev/null"], {
        env: withoutNoColor({ ...process.env, ...env }),
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stdin.end(input);
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr: "" });
      });
    });
  }

  it.skipIf(!hasScript)("delete asks first; only 'y' deletes; colours appear only on a TTY", async () => {
    const id = uid("tty");
    const dir = join(tempDir(), id);
    await reef(["init", dir], { env });
    const plain = spawnSync(process.execPath, [REEF, "apply", "-f", dir], {
      env: withoutNoColor({ ...process.env, ...env }),
      encoding: "utf8",
    });
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain("created");
    expect(plain.stdout).not.toContain("\u001b[");
    let r = await onTty(`delete ${id}`, "n\n");
    expect(r.stdout).toContain(`delete pipeline ${id} (draft, version 1)? [y/N]`);
    expect(r.code).toBe(1);
    expect(await definition(id)).not.toBeNull();
    r = await onTty(`delete ${id}`, "y\n");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("\u001b[32m✓"); // green on a terminal
    expect((await t.store.getDefinitionEntry(id))?.operation).toBe("DEL");
  });
});
