// lib/pipelines in-process (the code behind the CLI and the API): the edges that are slow or
// awkward to reach through a spawned CLI.
import { randomBytes } from "node:crypto";
import { JetStreamApiError } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHttpError } from "../../lib/api";
import { ReefError } from "../../lib/model";
import { ConflictError, Pipelines, type LintResult } from "../../lib/pipelines";
import { openTestStore, type TestStore } from "../helpers/nats";
import { natsHandles } from "../../lib/store/internal";

let t: TestStore;
let p: Pipelines;
const cleanLint = async (): Promise<LintResult> => ({ linter: "test", issues: [] });

beforeAll(async () => {
  t = await openTestStore();
  p = new Pipelines(t.store, { linter: cleanLint });
});
afterAll(async () => {
  await t?.close();
});

const uid = (s: string) => `${s}-${randomBytes(3).toString("hex")}`;
const cfg = (tag: string) => `input:\n  generate:\n    mapping: 'root = "${tag}"'\noutput:\n  drop: {}\n`;

describe("Pipelines", () => {
  it("gives up with CONFLICT when every compare-and-set loses, having written nothing", async () => {
    const id = uid("busy");
    await p.apply({ id, config: cfg("a") });
    const before = (await t.store.getDefinitionEntry(id))!.revision;
    const kv = natsHandles(t.store).pipelines;
    const original = kv.update.bind(kv);
    let attempts = 0;
    kv.update = async () => {
      attempts++;
      // what the server answers a lost compare-and-set (recognised by its code, 10071)
      throw new JetStreamApiError({ code: 400, err_code: 10071, description: "wrong last sequence: 1" });
    };
    try {
      await expect(p.setStatus(id, "published")).rejects.toBeInstanceOf(ConflictError);
    } finally {
      kv.update = original;
    }
    expect(attempts).toBe(8);
    expect((await t.store.getDefinitionEntry(id))!.revision).toBe(before);
    expect(toHttpError(new ConflictError(id, 8)).statusCode).toBe(409);
  });

  it("rolls back to the last different version in history, else the highest version below", async () => {
    const id = uid("rb");
    for (const tag of ["a", "b", "c"]) await p.apply({ id, config: cfg(tag) }); // versions 1, 2, 3
    await p.apply({ id, version: "1" });
    await p.apply({ id, version: "3" });
    // history: 1, 2, 3, 1, 3 → previous of 3 is 1 (what ran before), not 2
    expect((await p.rollback(id)).version).toBe("1");
    // a key written by another client with no useful history: the highest version below
    const other = uid("rb-other");
    for (const tag of ["a", "b", "c"])
      await t.store.putConfig(
        other,
        String(["a", "b", "c"].indexOf(tag) + 1),
        new TextEncoder().encode(cfg(tag)),
      );
    await t.store.putDefinition(other, JSON.stringify({ id: other, status: "draft", version: "3" }));
    expect((await p.rollback(other)).version).toBe("2");
    // nothing before version 1
    const first = uid("rb-first");
    await p.apply({ id: first, config: cfg("only") });
    await expect(p.rollback(first)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });

  it("dry runs write neither objects nor definitions", async () => {
    const id = uid("dry");
    const r = await p.apply({ id, config: cfg("x"), status: "published" }, { dryRun: true });
    expect(r).toMatchObject({
      action: "created",
      version: "1",
      versionCreated: true,
      dryRun: true,
      revision: null,
    });
    expect(await t.store.getDefinitionEntry(id)).toBeNull();
    expect(await t.store.listConfigVersions(id)).toEqual([]);
  });

  it("lists and repairs a definition another client broke", async () => {
    const id = uid("broken");
    await t.store.putDefinition(id, "{not json");
    const view = (await p.list()).find((v) => v.id === id)!;
    expect(view.definition).toBeNull();
    expect(view.definitionError).toMatchObject({ code: "INVALID_DEFINITION" });
    const r = await p.apply({ id, config: cfg("fixed") });
    expect(r.action).toBe("updated");
    expect(r.changes[0]).toContain("replaced an invalid definition");
    expect((await p.get(id)).definition).toMatchObject({ status: "draft", version: "1" });
  });

  it("refuses a config that is not a YAML mapping before storing anything", async () => {
    const id = uid("yaml");
    await expect(p.apply({ id, config: "just a string" })).rejects.toMatchObject({
      code: "INVALID_CONFIG",
    });
    expect(await t.store.listConfigVersions(id)).toEqual([]);
  });

  it("maps error codes to HTTP statuses without leaking internals", () => {
    expect(toHttpError(new ReefError("NATS_ERROR", "down")).statusCode).toBe(503);
    const unknown = toHttpError(new Error("secret stack detail"));
    expect(unknown.statusCode).toBe(500);
    expect(unknown.message).not.toContain("secret");
  });
});
