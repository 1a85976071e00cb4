// The HTTP api end to end: functions/api.ts under serverless-offline (real HTTP on 127.0.0.1),
// against the real test nats-server with unique buckets. No converge runs: the tests check the
// KV / Object Store effects and the responses; observed status is seeded into the status bucket.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, portAnswers, startOffline, type Offline } from "../../lib/local";
import { routes } from "../../lib/api";
import { appendEvent, configDigest } from "../../lib/store";
import { createProcessExecutor } from "../../lib/executors/process";
import { openTestStore, putConfigWithMtime, waitFor, type TestStore } from "../helpers/nats";
import { aliasBomb } from "../engine/helpers";
import { natsHandles } from "../../lib/store/internal";

let t: TestStore;
let offline: Offline | undefined;
let base = "";
let work = "";
const KEY = randomBytes(16).toString("hex");
const MAX_BODY = 64 * 1024;

const GOOD = "input:\n  generate:\n    mapping: 'root = \"x\"'\n    interval: 1s\noutput:\n  drop: {}\n";
const GOOD2 = GOOD.replace('"x"', '"y"');
const LINT_BAD = "input:\n  nope_input: {}\noutput:\n  drop: {}\n";

beforeAll(async () => {
  t = await openTestStore();
  work = mkdtempSync(join(tmpdir(), "reef-api-"));
  const [httpPort, lambdaPort, websocketPort, albPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  offline = await startOffline({
    projectDir: resolve("."),
    httpPort,
    lambdaPort,
    logFile: join(work, "offline.log"),
    startTimeoutMs: 100_000,
    env: {
      ...process.env,
      ...t.env,
      REEF_API_KEY: KEY,
      REEF_API_MAX_BODY_BYTES: String(MAX_BODY),
      REEF_ENGINE: "builtin",
      REEF_EXECUTOR: "process",
      REEF_STATE_DIR: join(work, "state"),
      // relative: serverless-esbuild joins it to the project folder
      REEF_ESBUILD_WORK_FOLDER: relative(process.cwd(), join(work, ".esbuild")),
      REEF_WEBSOCKET_PORT: String(websocketPort),
      REEF_ALB_PORT: String(albPort),
    },
  });
  await waitFor(() => portAnswers("127.0.0.1", httpPort), "the http port of serverless-offline", 30_000);
  base = `http://127.0.0.1:${httpPort}`;
}, 150_000);

afterAll(async () => {
  await offline?.stop();
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const uid = (p: string) => `${p}-${randomBytes(3).toString("hex")}`;

interface Res {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string; headers?: Record<string, string>; key?: string | null } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key !== null) headers["x-api-key"] = opts.key ?? KEY;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  } else if (opts.raw !== undefined) {
    body = opts.raw;
  }
  const res = await fetch(base + path, { method, headers, body, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    // YAML or empty
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

function expectError(r: Res, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get("content-type")).toMatch(/application\/json/);
  expect(r.body).toMatchObject({ error: { code, message: expect.any(String) } });
  expect(r.body.error).toHaveProperty("details");
}

async function definition(id: string): Promise<Record<string, unknown> | null> {
  const e = await t.store.getDefinitionEntry(id);
  return e?.operation === "PUT" ? JSON.parse(new TextDecoder().decode(e.value)) : null;
}

describe("api: lifecycle over HTTP", () => {
  it("creates, reads, updates, publishes, pauses, drafts, rolls back and deletes", async () => {
    const id = uid("api");
    // POST /pipelines → 201, Location, ETag = KV revision
    let r = await call("POST", "/pipelines", {
      body: { id, name: "API test", labels: { team: "t" }, config: GOOD },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.headers.get("location")).toBe(`/pipelines/${id}`);
    const rev1 = (await t.store.getDefinitionEntry(id))!.revision;
    expect(r.headers.get("etag")).toBe(`"${rev1}"`);
    expect(r.body).toMatchObject({
      id,
      action: "created",
      version: "1",
      versionCreated: true,
      status: "draft",
    });
    expect(await definition(id)).toMatchObject({
      id,
      name: "API test",
      status: "draft",
      version: "1",
      replicas: 1,
    });
    expect((await t.store.getConfig(id, "1"))!.digest).toBe(configDigest(new TextEncoder().encode(GOOD)));

    // GET /pipelines and /pipelines/{id}
    r = await call("GET", "/pipelines");
    expect(r.status).toBe(200);
    expect(r.body.pipelines.map((p: { id: string }) => p.id)).toContain(id);
    r = await call("GET", `/pipelines/${id}`);
    expect(r.status).toBe(200);
    expect(r.headers.get("etag")).toBe(`"${rev1}"`);
    expect(r.body).toMatchObject({ id, revision: rev1, definition: { status: "draft" }, observed: null });

    // publish → lints, then published
    r = await call("POST", `/pipelines/${id}/publish`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      status: "published",
      changes: ["status draft → published"],
      lint: { linter: "builtin" },
    });
    expect(await definition(id)).toMatchObject({ status: "published", version: "1" });

    // PUT with a new config → version 2; with If-Match of the current ETag
    const etag = (await call("GET", `/pipelines/${id}`)).headers.get("etag")!;
    r = await call("PUT", `/pipelines/${id}`, {
      body: { config: GOOD2, replicas: 2 },
      headers: { "if-match": etag },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      action: "updated",
      version: "2",
      versionCreated: true,
      status: "published",
    });
    expect(await definition(id)).toMatchObject({
      status: "published",
      version: "2",
      replicas: 2,
      name: "API test",
    });
    // identical content again: unchanged, no new object
    r = await call("PUT", `/pipelines/${id}`, { body: { config: GOOD2 } });
    expect(r.body).toMatchObject({ action: "unchanged", version: "2", versionCreated: false });
    expect((await t.store.listConfigVersions(id)).sort()).toEqual(["1", "2"]);

    // versions and one version's YAML
    r = await call("GET", `/pipelines/${id}/versions`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, current: "2" });
    expect(r.body.versions.map((v: { version: string }) => v.version)).toEqual(["1", "2"]);
    r = await call("GET", `/pipelines/${id}/versions/1`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/application\/yaml/);
    expect(r.text).toBe(GOOD);

    // status: seeded as the control plane would write it
    r = await call("GET", `/pipelines/${id}/status`);
    expectError(r, 404, "STATUS_NOT_FOUND");
    const observed = {
      id,
      phase: "running" as const,
      desired: "published",
      version: "2",
      revision: (await t.store.getDefinitionEntry(id))!.revision,
      executor: "process",
      executions: [{ id: `${id}-0`, state: "running", version: "2" }],
      error: null,
      updatedAt: new Date().toISOString(),
    };
    await t.store.writeStatus(observed);
    r = await call("GET", `/pipelines/${id}/status`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(observed);
    r = await call("GET", `/pipelines/${id}`);
    expect(r.body.observed).toMatchObject({ phase: "running" });

    // rollback (default previous), pause, draft with a version
    r = await call("POST", `/pipelines/${id}/rollback`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ version: "1", changes: ["version 2 → 1"] });
    r = await call("POST", `/pipelines/${id}/rollback`, { body: { to: "2" } });
    expect(r.body).toMatchObject({ version: "2" });
    // an empty JSON-labelled body means "no options"
    r = await call("POST", `/pipelines/${id}/pause`, {
      raw: "",
      headers: { "content-type": "application/json" },
    });
    expect(r.status, r.text).toBe(200);
    expect(await definition(id)).toMatchObject({ status: "paused", version: "2" });
    r = await call("POST", `/pipelines/${id}/draft`, { body: { version: "1" } });
    expect(r.status).toBe(200);
    expect(await definition(id)).toMatchObject({ status: "draft", version: "1" });
    r = await call("POST", `/pipelines/${id}/publish`, { body: { version: "2" } });
    expect(await definition(id)).toMatchObject({ status: "published", version: "2" });

    // DELETE → key deleted, versions kept; ?purge=true on another pipeline drops them
    r = await call("DELETE", `/pipelines/${id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ action: "deleted" });
    expect((await t.store.getDefinitionEntry(id))?.operation).toBe("DEL");
    expect((await t.store.listConfigVersions(id)).length).toBe(2);
    expectError(await call("GET", `/pipelines/${id}`), 404, "NOT_FOUND");

    const p = uid("purge");
    await call("POST", "/pipelines", { body: { id: p, config: GOOD } });
    r = await call("DELETE", `/pipelines/${p}?purge=true`);
    expect(r.status).toBe(200);
    // purged: only the purge marker remains of the key's history
    expect((await t.store.getDefinitionEntry(p))?.operation).toBe("PURGE");
    const history: unknown[] = [];
    for await (const e of await natsHandles(t.store).pipelines.history({ key: p })) history.push(e);
    expect(history).toHaveLength(1);
    expect(await t.store.listConfigVersions(p)).toEqual([]);
  });

  it("creates with PUT (201) and keeps unknown fields other clients wrote", async () => {
    const id = uid("put");
    let r = await call("PUT", `/pipelines/${id}`, { body: { config: GOOD, status: "published" } });
    expect(r.status, r.text).toBe(201);
    expect(await definition(id)).toMatchObject({ status: "published", version: "1" });
    const def = await definition(id);
    await t.store.putDefinition(id, JSON.stringify({ ...def, owner: "someone" }));
    r = await call("PUT", `/pipelines/${id}`, { body: { description: "d" } });
    expect(r.status).toBe(200);
    expect(await definition(id)).toMatchObject({ owner: "someone", description: "d" });
    r = await call("PUT", `/pipelines/${id}`, { body: { description: null } });
    expect(await definition(id)).not.toHaveProperty("description");
  });

  it("serves an OpenAPI document generated from the schemas", async () => {
    const r = await call("GET", "/openapi.json", { key: null });
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe("3.1.0");
    for (const route of routes) {
      expect(
        r.body.paths[route.path]?.[route.method.toLowerCase()],
        `${route.method} ${route.path}`,
      ).toBeDefined();
    }
    expect(r.body.components.schemas.CreatePipeline.required).toContain("id");
    expect(r.body.components.schemas.Error.properties.error).toBeDefined();
    expect(r.body.paths["/pipelines/{id}/publish"].post.responses["422"]).toBeDefined();
  });

  it("a version another client stored with a zero modification time has createdAt null", async () => {
    const id = uid("zero");
    expect((await call("POST", "/pipelines", { body: { id } })).status).toBe(201);
    await putConfigWithMtime(t, `${id}/1`, GOOD, "0001-01-01T00:00:00Z");
    const r = await call("GET", `/pipelines/${id}/versions`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.versions).toEqual([expect.objectContaining({ version: "1", createdAt: null })]);
    const doc = await call("GET", "/openapi.json", { key: null });
    const createdAt = doc.body.components.schemas.Versions.properties.versions.items.properties.createdAt;
    expect(JSON.stringify(createdAt)).toContain("null");
    expect(createdAt.description).toMatch(/null when unknown/);
  });
});

describe("api: errors", () => {
  it("requires x-api-key on every route", async () => {
    for (const route of routes) {
      const path = route.path.replace("{id}", "some-id").replace("{version}", "1");
      const missing = await call(route.method, path, { key: null });
      expectError(missing, 401, "UNAUTHORIZED");
      const wrong = await call(route.method, path, { key: "not-the-key" });
      expectError(wrong, 401, "UNAUTHORIZED");
    }
  });

  it("400: invalid ids, versions, JSON, bodies and headers", async () => {
    expectError(await call("GET", "/pipelines/Not_An_Id"), 400, "INVALID_ID");
    expectError(await call("POST", "/pipelines/-bad-/publish"), 400, "INVALID_ID");
    expectError(
      await call("GET", `/pipelines/ok/versions/${encodeURIComponent("bad version")}`),
      400,
      "INVALID_VERSION",
    );
    expectError(
      await call("POST", "/pipelines", { raw: "{not json", headers: { "content-type": "application/json" } }),
      400,
      "INVALID_JSON",
    );
    const v = await call("POST", "/pipelines", { body: { id: "ok-id", replicas: -1 } });
    expectError(v, 400, "VALIDATION_FAILED");
    expect(v.body.error.details.issues[0].path).toBe("replicas");
    const many = await call("POST", "/pipelines", { body: { id: "ok-id", replicas: 1_000_000 } });
    expectError(many, 400, "VALIDATION_FAILED");
    expect(many.body.error.details.issues[0]).toMatchObject({
      path: "replicas",
      message: "replicas must be at most 32 (REEF_MAX_REPLICAS)",
    });
    expectError(await call("POST", "/pipelines", { body: { id: "BAD" } }), 400, "VALIDATION_FAILED");
    expectError(
      await call("POST", "/pipelines", { body: { id: "ok-id", extra: 1 } }),
      400,
      "VALIDATION_FAILED",
    );
    expectError(
      await call("PUT", "/pipelines/ok-id", { body: { id: "other-id" } }),
      400,
      "VALIDATION_FAILED",
    );
    expectError(
      await call("POST", "/pipelines", { body: { id: uid("both"), config: GOOD, version: "1" } }),
      400,
      "VALIDATION_FAILED",
    );
    expectError(
      await call("PUT", "/pipelines/ok-id", { body: {}, headers: { "if-match": "yesterday" } }),
      400,
      "INVALID_HEADER",
    );
  });

  it("404: unknown pipelines, versions, statuses and routes; 405 on a wrong method", async () => {
    const ghost = uid("ghost");
    expectError(await call("GET", `/pipelines/${ghost}`), 404, "NOT_FOUND");
    expectError(await call("GET", `/pipelines/${ghost}/status`), 404, "NOT_FOUND");
    expectError(await call("GET", `/pipelines/${ghost}/versions`), 404, "NOT_FOUND");
    expectError(await call("POST", `/pipelines/${ghost}/publish`), 404, "NOT_FOUND");
    expectError(await call("POST", `/pipelines/${ghost}/rollback`), 404, "NOT_FOUND");
    expectError(await call("DELETE", `/pipelines/${ghost}`), 404, "NOT_FOUND");
    const id = uid("vers");
    await call("POST", "/pipelines", { body: { id, config: GOOD } });
    expectError(await call("GET", `/pipelines/${id}/versions/9`), 404, "VERSION_NOT_FOUND");
    expectError(
      await call("POST", `/pipelines/${id}/publish`, { body: { version: "9" } }),
      404,
      "VERSION_NOT_FOUND",
    );
    expectError(await call("GET", "/nothing-here"), 404, "ROUTE_NOT_FOUND");
    const m = await call("PATCH", `/pipelines/${id}`, { body: {} });
    expectError(m, 405, "METHOD_NOT_ALLOWED");
    expect(m.body.error.details.allowed).toEqual(["GET", "PUT", "DELETE"]);
  });

  it("409: creating an existing pipeline; 412: If-Match with a stale ETag", async () => {
    const id = uid("cas");
    const created = await call("POST", "/pipelines", { body: { id, config: GOOD } });
    expectError(await call("POST", "/pipelines", { body: { id, config: GOOD2 } }), 409, "ALREADY_EXISTS");
    expect(await t.store.listConfigVersions(id)).toEqual(["1"]); // the refused create stored nothing
    const stale = created.headers.get("etag")!;
    // another writer changes it
    await call("PUT", `/pipelines/${id}`, { body: { labels: { by: "other" } } });
    const before = (await t.store.getDefinitionEntry(id))!.revision;
    for (const [method, path, body] of [
      ["PUT", `/pipelines/${id}`, { replicas: 3 }],
      ["POST", `/pipelines/${id}/publish`, {}],
      ["POST", `/pipelines/${id}/pause`, {}],
      ["POST", `/pipelines/${id}/draft`, {}],
      ["POST", `/pipelines/${id}/rollback`, { to: "1" }],
      ["DELETE", `/pipelines/${id}`, undefined],
    ] as const) {
      const r = await call(method, path, { body, headers: { "if-match": stale } });
      expectError(r, 412, "REVISION_MISMATCH");
      expect(r.body.error.details).toMatchObject({
        expected: Number(stale.replace(/"/g, "")),
        actual: before,
      });
    }
    expect((await t.store.getDefinitionEntry(id))!.revision).toBe(before);
    // If-Match: * on a missing pipeline → 404, on an existing one → applies
    expectError(
      await call("PUT", `/pipelines/${uid("none")}`, { body: {}, headers: { "if-match": "*" } }),
      404,
      "NOT_FOUND",
    );
    const ok = await call("PUT", `/pipelines/${id}`, {
      body: { replicas: 3 },
      headers: { "if-match": `"${before}"` },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers.get("etag")).toBe(`"${(await t.store.getDefinitionEntry(id))!.revision}"`);
  });

  it("413: bodies over the limit; 415: bodies that are not JSON", async () => {
    const big = "#".repeat(MAX_BODY + 1);
    expectError(
      await call("POST", "/pipelines", { body: { id: uid("big"), config: big } }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    expectError(
      await call("POST", "/pipelines", { raw: "id: x", headers: { "content-type": "application/yaml" } }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
  });

  it("422: publishing a config with lint errors (unless force), configs that are not YAML", async () => {
    const id = uid("lint");
    let r = await call("POST", "/pipelines", { body: { id, config: LINT_BAD } });
    expect(r.status).toBe(201);
    r = await call("POST", `/pipelines/${id}/publish`);
    expectError(r, 422, "LINT_FAILED");
    expect(r.body.error.details.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: "error", line: 2, message: expect.stringContaining("nope_input") }),
      ]),
    );
    expect(await definition(id)).toMatchObject({ status: "draft" });
    r = await call("PUT", `/pipelines/${id}`, { body: { status: "published" } });
    expectError(r, 422, "LINT_FAILED");
    r = await call("POST", `/pipelines/${id}/publish`, { body: { force: true } });
    expect(r.status).toBe(200);
    expect(await definition(id)).toMatchObject({ status: "published" });

    expectError(
      await call("POST", "/pipelines", { body: { id: uid("yaml"), config: "input: [unclosed" } }),
      422,
      "INVALID_CONFIG",
    );
    expectError(
      await call("POST", "/pipelines", { body: { id: uid("yaml"), config: "- a list" } }),
      422,
      "INVALID_CONFIG",
    );
  });

  it("422 for an alias bomb: refused on upload, and by lint when another client stored it", async () => {
    const bomb = aliasBomb();
    const r = await call("POST", "/pipelines", { body: { id: uid("bomb"), config: bomb } });
    expectError(r, 422, "INVALID_CONFIG");
    expect(r.body.error.message).toContain("Excessive alias count");

    // Written straight into the Object Store (as any NATS client can): publish lints it.
    const id = uid("bomb");
    expect((await call("POST", "/pipelines", { body: { id } })).status).toBe(201);
    await natsHandles(t.store).configs.putBlob({ name: `${id}/1` }, new TextEncoder().encode(bomb));
    const p = await call("POST", `/pipelines/${id}/publish`, { body: { version: "1" } });
    expectError(p, 422, "LINT_FAILED");
    expect(p.body.error.details.issues).toEqual([
      expect.objectContaining({ line: 2, column: 10, message: expect.stringContaining("Excessive alias") }),
    ]);
    expect(await definition(id)).toMatchObject({ status: "draft" });
    // The function is still there for the next request.
    expect((await call("GET", `/pipelines/${id}`)).status).toBe(200);
  });

  it("400 when a draft has no config to publish", async () => {
    const id = uid("empty");
    expect((await call("POST", "/pipelines", { body: { id } })).status).toBe(201);
    expectError(await call("POST", `/pipelines/${id}/publish`), 400, "VALIDATION_FAILED");
    expectError(await call("POST", `/pipelines/${id}/rollback`), 400, "VALIDATION_FAILED");
  });
});

describe("api: job triggers (POST /pipelines/{id}/trigger)", () => {
  const JOB = "input:\n  stdin: {}\noutput:\n  drop: {}\n";

  it("starts a run through the trigger function and answers its record", async () => {
    const id = uid("job");
    const created = await call("POST", "/pipelines", {
      body: { id, config: JOB, status: "published", mode: "job", concurrency: "forbid", timeout: "5m" },
    });
    expect(created.status, created.text).toBe(201);
    expect(await definition(id)).toMatchObject({ mode: "job", concurrency: "forbid", timeout: "5m" });

    const r = await call("POST", `/pipelines/${id}/trigger`, { body: { payload: "a\nb\n" } });
    expect(r.status, r.text).toBe(202);
    expect(r.body).toMatchObject({ trigger: "manual", state: "running", endedAt: null, exitCode: null });
    expect(r.body.run).toEqual(expect.any(String));
    // The trigger function recorded the run in the job's status.
    const status = await call("GET", `/pipelines/${id}/status`);
    expect(status.body).toMatchObject({ mode: "job", phase: "running" });
    expect(status.body.runs[0]).toMatchObject({ run: r.body.run, state: "running" });
    // Its graph shows how runs start (no subject or schedule: the manual trigger).
    const graph = await call("GET", `/pipelines/${id}/graph`);
    expect(graph.body.mermaid).toContain('("trigger: reef trigger / POST …/trigger")');
    expect(graph.body.mermaid).toMatch(/-\.->\|"starts a run"\|/);

    // The run really ran (the process executor, in this test's state folder) and ends by itself.
    const executor = createProcessExecutor({ ...process.env, ...t.env, REEF_STATE_DIR: join(work, "state") });
    const ended = await waitFor(
      async () => (await executor.listRuns(id)).find((e) => e.run === r.body.run && e.state === "exited"),
      "the run to end",
      60_000,
    );
    await executor.removeRun(ended);
  }, 90_000);

  it("409 for a stream or a job that is not published; 404 for an unknown one; 400 for a bad body", async () => {
    const stream = uid("stream");
    expect((await call("POST", "/pipelines", { body: { id: stream, config: GOOD } })).status).toBe(201);
    expectError(await call("POST", `/pipelines/${stream}/trigger`), 409, "NOT_A_JOB");

    const draft = uid("draftjob");
    const created = await call("POST", "/pipelines", { body: { id: draft, config: JOB, mode: "job" } });
    expect(created.status, created.text).toBe(201);
    const r = await call("POST", `/pipelines/${draft}/trigger`);
    expectError(r, 409, "NOT_PUBLISHED");
    expect(r.body.error.message).toContain("draft");

    expectError(await call("POST", `/pipelines/${uid("nope")}/trigger`), 404, "NOT_FOUND");
    expectError(
      await call("POST", `/pipelines/${draft}/trigger`, { body: { payload: 5 } }),
      400,
      "VALIDATION_FAILED",
    );
    expectError(
      await call("POST", `/pipelines/${draft}/trigger`, { body: { other: 1 } }),
      400,
      "VALIDATION_FAILED",
    );
    expectError(await call("POST", `/pipelines/${draft}/trigger`, { key: null }), 401, "UNAUTHORIZED");
    // A bad job field is refused when the pipeline is written.
    expectError(
      await call("POST", "/pipelines", {
        body: { id: uid("badjob"), config: JOB, mode: "job", concurrency: "often" },
      }),
      400,
      "VALIDATION_FAILED",
    );
  });
});

describe("api: diffs, graphs and recorded events", () => {
  it("diffs two versions (to: the current one by default)", async () => {
    const id = uid("diff");
    expect((await call("POST", "/pipelines", { body: { id, config: GOOD } })).status).toBe(201);
    expect((await call("PUT", `/pipelines/${id}`, { body: { config: GOOD2 } })).status).toBe(200);
    const r = await call("GET", `/pipelines/${id}/diff?from=1&to=2`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ id, from: "1", to: "2", identical: false });
    expect(r.body.patch).toContain(`-    mapping: 'root = "x"'`);
    expect(r.body.patch).toContain(`+    mapping: 'root = "y"'`);
    expect((await call("GET", `/pipelines/${id}/diff?from=2`)).body).toMatchObject({
      to: "2",
      identical: true,
    });
    expectError(await call("GET", `/pipelines/${id}/diff`), 400, "VALIDATION_FAILED");
    expectError(await call("GET", `/pipelines/${id}/diff?from=a%20b`), 400, "INVALID_VERSION");
    expectError(await call("GET", `/pipelines/${id}/diff?from=9`), 404, "VERSION_NOT_FOUND");
  });

  it("draws a version's config as a Mermaid flowchart, as reef graph does", async () => {
    const id = uid("graph");
    expect((await call("POST", "/pipelines", { body: { id, config: GOOD } })).status).toBe(201);
    const r = await call("GET", `/pipelines/${id}/graph`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ id, version: "1" });
    expect(r.body.mermaid).toMatch(/^flowchart LR\n[\s\S]*generate[\s\S]*drop/);
    expect((await call("GET", `/pipelines/${id}/graph?version=1`)).body.mermaid).toBe(r.body.mermaid);
    expectError(await call("GET", `/pipelines/${id}/graph?version=7`), 404, "VERSION_NOT_FOUND");
    expectError(await call("GET", `/pipelines/${uid("none")}/graph`), 404, "NOT_FOUND");
  });

  it("lists recent events newest first, with the verification of the pipeline's hash chain", async () => {
    const id = uid("events");
    const record = (revision: number) => ({
      event: { key: id, operation: "PUT" as const, revision, timestamp: new Date().toISOString() },
      outcome: "ok" as const,
      result: {
        id,
        revision,
        operation: "PUT",
        desired: "published",
        observed: [],
        actions: [`start ${id}#0 v1`],
        phase: "running",
        error: null,
      },
      durationMs: 12,
      handledAt: new Date().toISOString(),
      attempts: 1,
    });
    for (const rev of [1, 2, 3]) await appendEvent(t.store, record(rev));
    let r = await call("GET", `/pipelines/${id}/events?limit=2`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.events.map((e: { revision: number }) => e.revision)).toEqual([3, 2]);
    expect(r.body.events[0]).toMatchObject({ operation: "PUT", outcome: "ok", phase: "running" });
    expect(r.body).toMatchObject({ total: 3, verification: { ok: true, records: 3, problems: [] } });
    expectError(await call("GET", `/pipelines/${id}/events?limit=0`), 400, "VALIDATION_FAILED");

    // a record another client slipped into the chain
    await t.nc.request(`${t.names.eventsSubject}.${id}`, new TextEncoder().encode('{"not":"a record"}'));
    r = await call("GET", `/pipelines/${id}/events`);
    expect(r.body.verification).toMatchObject({
      ok: false,
      problems: [expect.objectContaining({ kind: "unreadable" })],
    });
    expect(r.body.events[0]).toMatchObject({ outcome: "unreadable" });
  });
});

describe("api: log lines", () => {
  it("serves the last lines, then only newer ones (after), per replica if asked", async () => {
    const id = uid("logs");
    expect((await call("POST", "/pipelines", { body: { id, config: GOOD } })).status).toBe(201);
    expect((await call("GET", `/pipelines/${id}/logs`)).body).toMatchObject({ id, lines: [] });
    const line = (n: number, replica = 0) => ({
      time: new Date().toISOString(),
      level: n % 10 === 0 ? "error" : "info",
      message: `line ${n}`,
      replica,
    });
    for (let n = 1; n <= 30; n++) t.store.publishLog(id, line(n, n % 2));
    await t.nc.flush();
    await waitFor(
      async () => (await call("GET", `/pipelines/${id}/logs`)).body.lines.length === 30,
      "30 lines",
    );
    let r = await call("GET", `/pipelines/${id}/logs?limit=5`);
    expect(r.body.lines.map((l: { message: string }) => l.message)).toEqual([
      "line 26",
      "line 27",
      "line 28",
      "line 29",
      "line 30",
    ]);
    expect(r.body.lines[4]).toMatchObject({ level: "error", replica: 0, seq: expect.any(Number) });
    const odd = await call("GET", `/pipelines/${id}/logs?limit=2&replica=1`);
    expect(odd.body.lines.map((l: { message: string }) => l.message)).toEqual(["line 27", "line 29"]);
    const last = r.body.lastSeq;
    expect(last).toBe(r.body.lines[4].seq);
    // nothing new yet
    expect((await call("GET", `/pipelines/${id}/logs?after=${last}`)).body).toMatchObject({
      lines: [],
      lastSeq: last,
    });
    t.store.publishLog(id, line(31, 1));
    t.store.publishLog(id, line(32, 0));
    await t.nc.flush();
    await waitFor(
      async () => (await call("GET", `/pipelines/${id}/logs?after=${last}`)).body.lines.length === 2,
      "2 new lines",
    );
    r = await call("GET", `/pipelines/${id}/logs?after=${last}&replica=1`);
    expect(r.body.lines.map((l: { message: string }) => l.message)).toEqual(["line 31"]);
    expectError(await call("GET", `/pipelines/${id}/logs?limit=5000`), 400, "VALIDATION_FAILED");
    expectError(await call("GET", `/pipelines/${id}/logs?after=-1`), 400, "VALIDATION_FAILED");
  });
});

describe("api: the web console at /ui", () => {
  it("serves the page, its assets and its settings without the key", async () => {
    const page = await call("GET", "/ui", { key: null });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect((await call("GET", "/ui/", { key: null })).status).toBe(200);
    const [, js] = /src="\/ui\/(assets\/main-[^"]+\.js)"/.exec(page.text)!;
    const [, css] = /href="\/ui\/(assets\/main-[^"]+\.css)"/.exec(page.text)!;
    const res = await fetch(`${base}/ui/${js}`, { headers: { "accept-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(res.headers.get("cache-control")).toContain("immutable");
    expect(await res.text()).toBe(readFileSync(join("dist/console", js), "utf8"));
    expect((await call("GET", `/ui/${css}`, { key: null })).headers.get("content-type")).toMatch(
      /^text\/css/,
    );
    const settings = await call("GET", "/ui/config.json", { key: null });
    expect(settings.body).toEqual({ auth: { mode: "api-key", header: "x-api-key" }, apiBase: "/ui/api" });
    // nothing but the build's files
    expectError(
      await call("GET", "/ui/assets/..%2F..%2Fpackage.json", { key: null }),
      404,
      "ROUTE_NOT_FOUND",
    );
    expectError(await call("GET", "/ui/nothing-here", { key: null }), 404, "ROUTE_NOT_FOUND");
  });

  it("serves the API to the page under /ui/api, with the key and compare-and-set", async () => {
    const id = uid("ui");
    expect((await call("POST", "/ui/api/pipelines", { body: { id, config: GOOD } })).status).toBe(201);
    expectError(await call("GET", "/ui/api/pipelines", { key: null }), 401, "UNAUTHORIZED");
    // the list carries each pipeline's live health (nothing runs: unknown)
    const list = await call("GET", "/ui/api/pipelines");
    expect(list.body.pipelines.find((p: { id: string }) => p.id === id)).toMatchObject({
      health: { state: "unknown", replicasReporting: 0 },
    });
    const r = await call("GET", `/ui/api/pipelines/${id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, definition: { status: "draft" } });
    const etag = r.headers.get("etag")!;
    expect(
      (await call("POST", `/ui/api/pipelines/${id}/publish`, { headers: { "if-match": etag } })).status,
    ).toBe(200);
    expectError(
      await call("POST", `/ui/api/pipelines/${id}/pause`, { headers: { "if-match": etag } }),
      412,
      "REVISION_MISMATCH",
    );
    expect(await definition(id)).toMatchObject({ status: "published" });
    expectError(await call("GET", "/ui/api/nope"), 404, "ROUTE_NOT_FOUND");
  });
});
