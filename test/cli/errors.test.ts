// The `reef` CLI when things go wrong: conflicting edits, lint refusal, bad manifests, usage errors.
import { chmod, readFile, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifests, Pipelines } from "../../lib/pipelines";
import { openTestStore, putConfigWithMtime, type TestStore } from "../helpers/nats";
import { assertBuilt, reef, tempDir } from "./helpers";
import { natsHandles } from "../../lib/store/internal";

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
const GOOD = "input:\n  generate:\n    mapping: 'root = \"x\"'\n    interval: 1s\noutput:\n  drop: {}\n";
const BAD =
  "input:\n  generate:\n    mapping: 'root = \"x\"'\n    interval: 1s\n    not_a_field: true\noutput:\n  nope_output: {}\n";

async function manifest(dir: string, body: string, config?: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "pipeline.yaml");
  await writeFile(file, body);
  if (config !== undefined) await writeFile(join(dir, "config.yaml"), config);
  return file;
}

async function definition(id: string): Promise<Record<string, unknown> | null> {
  const e = await t.store.getDefinitionEntry(id);
  return e?.operation === "PUT" ? JSON.parse(new TextDecoder().decode(e.value)) : null;
}

describe("conflicting edits", () => {
  it("refuses a write based on a stale revision (--revision) and writes nothing", async () => {
    const id = uid("cas");
    const dir = join(tempDir(), id);
    await manifest(dir, `id: ${id}\nconfig: ./config.yaml\n`, GOOD);
    expect((await reef(["apply", "-f", dir], { env })).code).toBe(0);
    const rev = (await t.store.getDefinitionEntry(id))!.revision;
    // someone else changes it meanwhile (any NATS client)
    const other = { ...(await definition(id)), labels: { edited: "by-someone-else" } };
    await t.store.putDefinition(id, JSON.stringify(other));
    const r = await reef(["publish", id, "--revision", String(rev)], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[REVISION_MISMATCH]");
    expect(await definition(id)).toMatchObject({ status: "draft", labels: { edited: "by-someone-else" } });
    // with the current revision it goes through, keeping the other writer's change
    const now = (await t.store.getDefinitionEntry(id))!.revision;
    const ok = await reef(["publish", id, "--revision", String(now)], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(await definition(id)).toMatchObject({
      status: "published",
      labels: { edited: "by-someone-else" },
    });
  });

  it("concurrent applies never lose a write and never share a version number", async () => {
    const id = uid("race");
    const root = tempDir();
    const n = 4;
    const dirs: string[] = [];
    for (let i = 0; i < n; i++) {
      const dir = join(root, `m${i}`);
      await manifest(
        dir,
        `id: ${id}\nlabels: { writer: "w${i}" }\nconfig: ./config.yaml\n`,
        GOOD.replace('"x"', `"w${i}"`),
      );
      dirs.push(dir);
    }
    const results = await Promise.all(dirs.map((d) => reef(["apply", "-f", d], { env, timeoutMs: 60_000 })));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    // every writer got its own version, each object holding exactly that writer's config
    const versions = (await t.store.listConfigVersions(id)).sort();
    expect(versions).toEqual(["1", "2", "3", "4"]);
    const contents = await Promise.all(
      versions.map(async (v) => new TextDecoder().decode((await t.store.getConfig(id, v))!.bytes)),
    );
    expect(new Set(contents).size).toBe(n);
    // every write was a compare-and-set on the latest revision: n revisions of the key in history
    const history: unknown[] = [];
    for await (const e of await natsHandles(t.store).pipelines.history({ key: id })) history.push(e);
    expect(history.length).toBe(n);
    // the final definition is consistent: its label names the writer whose config its version holds
    const def = (await definition(id)) as { version: string; labels: { writer: string } };
    expect(contents[Number(def.version) - 1]).toContain(`"${def.labels.writer}"`);
  });
});

describe("lint at publish", () => {
  it("refuses to publish a config with lint errors, lists them, and publishes with --force", async () => {
    const id = uid("lint");
    const dir = join(tempDir(), id);
    await manifest(dir, `id: ${id}\nconfig: ./config.yaml\n`, BAD);
    expect((await reef(["apply", "-f", dir], { env })).code).toBe(0); // a draft may hold anything YAML
    const r = await reef(["publish", id], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[LINT_FAILED]");
    expect(r.stderr).toMatch(/5:\d+ .*not_a_field/);
    expect(r.stderr).toMatch(/7:\d+ .*nope_output/);
    expect(await definition(id)).toMatchObject({ status: "draft" });
    const forced = await reef(["publish", id, "--force", "--json"], { env });
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).lint.issues.length).toBeGreaterThan(0);
    expect(await definition(id)).toMatchObject({ status: "published" });
  });

  it("uses `<binary> lint` when the engine is a Benthos binary", async () => {
    const id = uid("binlint");
    const dir = join(tempDir(), id);
    await manifest(dir, `id: ${id}\nconfig: ./config.yaml\n`, GOOD);
    const bin = join(tempDir(), "benthos");
    // a stand-in for benthos: `lint <file>` reports one problem in the benthos output format
    await writeFile(
      bin,
      `#!/bin/sh\n[ "$1" = lint ] || exit 3\necho "$2(2,3) field frobnicate not recognised"\nexit 1\n`,
    );
    await chmod(bin, 0o755);
    const benv = { ...env, REEF_ENGINE: bin };
    expect((await reef(["apply", "-f", dir], { env: benv })).code).toBe(0);
    const r = await reef(["publish", id], { env: benv });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[LINT_FAILED]");
    expect(r.stderr).toContain("2:3 field frobnicate not recognised");
    expect(r.stderr).toContain(bin);
  });
});

describe("bad manifests", () => {
  const cases: [string, string, string | undefined, RegExp][] = [
    [
      "unknown field",
      "id: ok-one\nconfig: ./config.yaml\nreplica: 2\n",
      GOOD,
      /pipeline\.yaml:3:1: unknown field replica/,
    ],
    [
      "bad id",
      "id: Not_A_Label\nconfig: ./config.yaml\n",
      GOOD,
      /pipeline\.yaml:1:5: id: a pipeline id is a DNS label/,
    ],
    [
      "missing config file",
      "id: ok-two\nconfig: ./missing.yaml\n",
      undefined,
      /pipeline\.yaml:2:9: config \.\/missing\.yaml not found/,
    ],
    ["no config", "id: ok-three\n", undefined, /config is required/],
    [
      "bad replicas",
      "id: ok-four\nreplicas: -1\nconfig: ./config.yaml\n",
      GOOD,
      /pipeline\.yaml:2:11: replicas: replicas must be an integer >= 0/,
    ],
    [
      "replicas above REEF_MAX_REPLICAS",
      "id: ok-seven\nreplicas: 1000000\nconfig: ./config.yaml\n",
      GOOD,
      /pipeline\.yaml:2:11: replicas: replicas must be at most 32 \(REEF_MAX_REPLICAS\)/,
    ],
    [
      "bad status",
      "id: ok-five\nstatus: running\nconfig: ./config.yaml\n",
      GOOD,
      /pipeline\.yaml:2:9: status: status must be one of draft, published, paused/,
    ],
    ["not YAML", "id: [unclosed\nconfig: x\n", undefined, /pipeline\.yaml:\d+:\d+: invalid YAML/],
    ["not a mapping", "- just\n- a list\n", undefined, /a manifest must be a mapping/],
    [
      "config not YAML",
      "id: ok-six\nconfig: ./config.yaml\n",
      "input: [unclosed\n",
      /\[INVALID_CONFIG\].*not valid YAML/,
    ],
  ];
  // the CLI path once; the other cases through the same loader in-process (spawning is slow)
  it("reports a bad manifest with file:line:col, exit 1, nothing written", async () => {
    const dir = join(tempDir(), "p");
    await manifest(dir, cases[0][1], cases[0][2]);
    const r = await reef(["apply", "-f", dir], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[INVALID_MANIFEST\]: /);
    expect(r.stderr).toMatch(cases[0][3]);
    expect(await t.store.listDefinitionKeys()).not.toContain("ok-one");
  });
  for (const [name, body, config, expected] of cases.slice(1)) {
    it(`reports ${name} clearly`, async () => {
      const dir = join(tempDir(), "p");
      await manifest(dir, body, config);
      let caught: unknown;
      try {
        // valid manifests: the problem is in the config, found by apply
        const p = new Pipelines(t.store);
        for (const m of await loadManifests(dir)) await p.apply({ id: m.id, config: m.configText });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(Error);
      const e = caught as Error & { code: string };
      expect(`[${e.code}] ${e.message}`).toMatch(expected);
    });
  }

  it("reports every problem of every file, and duplicate ids", async () => {
    const root = tempDir();
    await manifest(join(root, "a"), "id: dup-id\nconfig: ./config.yaml\n", GOOD);
    await manifest(join(root, "b"), "id: dup-id\nconfig: ./config.yaml\n", GOOD);
    await manifest(join(root, "c"), "id: BAD\nconfig: ./config.yaml\n", GOOD);
    const r = await reef(["apply", "-f", root], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[INVALID_MANIFEST]");
    expect(r.stderr).toMatch(/b\/pipeline\.yaml: pipeline dup-id is also defined in .*a\/pipeline\.yaml/);
    expect(r.stderr).toMatch(/c\/pipeline\.yaml:1:5: id:/);
    expect(await definition("dup-id")).toBeNull();
  });

  it("reads several documents from one file and inline configs", async () => {
    const a = uid("multi-a");
    const b = uid("multi-b");
    const file = join(tempDir(), "all.yaml");
    await writeFile(
      file,
      `id: ${a}\nconfig:\n  input: { generate: { mapping: 'root = 1' } }\n  output: { drop: {} }\n---\nid: ${b}\nreplicas: 2\nconfig:\n  input: { generate: { mapping: 'root = 2' } }\n  output: { drop: {} }\n`,
    );
    const r = await reef(["apply", "-f", file], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(await definition(a)).toMatchObject({ status: "draft", version: "1" });
    expect(await definition(b)).toMatchObject({ replicas: 2 });
    expect(new TextDecoder().decode((await t.store.getConfig(a, "1"))!.bytes)).toContain("root = 1");
  });
});

describe("usage errors and not found", () => {
  it("exits 2 on usage errors and 1 on failures", async () => {
    const usage = await Promise.all(
      [
        ["get", "Not_Valid"],
        ["publish"],
        ["no-such-command"],
        ["apply"],
        ["publish", "x", "--revision", "abc"],
      ].map((args) => reef(args, { env })),
    );
    expect(usage.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(usage[0].stderr).toContain("a pipeline id is a DNS label");
    expect((await reef(["--help"], { env })).code).toBe(0);
    const missing = await reef(["publish", uid("ghost")], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("[NOT_FOUND]");
    const noFile = await reef(["apply", "-f", "/nonexistent/x"], { env });
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toContain("no such file or directory");
    const init = await reef(["init", join(tempDir(), "___")], { env });
    expect(init.code).toBe(1);
    expect(init.stderr).toContain("(pass --id)");
  }, 120_000);

  it("refuses to overwrite an existing pipeline folder without --force", async () => {
    const dir = join(tempDir(), "again");
    expect((await reef(["init", dir], { env })).code).toBe(0);
    const second = await reef(["init", dir], { env });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("already exists");
    expect((await reef(["init", dir, "--force"], { env })).code).toBe(0);
    expect(await readFile(join(dir, "pipeline.yaml"), "utf8")).toContain("id: again");
  });

  it("fails clearly when NATS does not answer", async () => {
    const r = await reef(["list"], { env: { ...env, NATS_URL: "nats://127.0.0.1:1" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[NATS_ERROR]");
    expect(r.stderr).toContain("cannot connect to NATS at nats://127.0.0.1:1");
  });
});

describe("configs written by other clients", () => {
  it("a zero modification time (nats.go 1.22) is an unknown creation time, not year 1", async () => {
    const id = uid("zero");
    await putConfigWithMtime(t, `${id}/1`, GOOD, "0001-01-01T00:00:00Z");
    await t.store.putDefinition(id, JSON.stringify({ id, status: "draft", version: "1" }));
    const json = await reef(["versions", id, "--json"], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).versions).toEqual([
      expect.objectContaining({ version: "1", createdAt: null }),
    ]);
    const text = await reef(["versions", id], { env });
    expect(text.code, text.stderr).toBe(0);
    const row = text.stdout.split("\n").find((l) => /\s1\s/.test(l))!;
    expect(row).toMatch(/\bunknown\s*$/);
    expect(text.stdout).not.toMatch(/\d+d ago/);
  });
});
