// The local-stack API key (REEF_API_KEY wins; otherwise one key is generated and kept) and who
// may call the api handler (REEF_API_AUTH: closed unless opted out).
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { apiAuthFromEnv, apiKeyForLocalStack, apiKeyMatches, createApiHandler } from "../../lib/api";

describe("apiKeyForLocalStack", () => {
  it("uses REEF_API_KEY when set", () => {
    const dir = mkdtempSync(join(tmpdir(), "reef-key-"));
    expect(apiKeyForLocalStack({ env: { REEF_API_KEY: "given" }, stateDir: dir })).toBe("given");
  });

  it("generates a key once, keeps it private, and returns the same one after", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "reef-key-")), "state");
    const first = apiKeyForLocalStack({ env: {}, stateDir: dir });
    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(readFileSync(join(dir, "api-key"), "utf8").trim()).toBe(first);
    expect(statSync(join(dir, "api-key")).mode & 0o777).toBe(0o600);
    expect(apiKeyForLocalStack({ env: {}, stateDir: dir })).toBe(first);
  });

  it("compares keys exactly", () => {
    expect(apiKeyMatches("abc", "abc")).toBe(true);
    expect(apiKeyMatches("abc ", "abc")).toBe(false);
    expect(apiKeyMatches(undefined, "abc")).toBe(false);
  });
});

describe("who may call the api handler", () => {
  // An unknown route answers 404 once past authentication and 401 before it: no NATS needed.
  async function status(env: NodeJS.ProcessEnv, headers: Record<string, string> = {}, path = "/nope") {
    const handler = createApiHandler({
      pipelines: () => Promise.reject(new Error("not used")),
      auth: apiAuthFromEnv(env),
    });
    const event = {
      version: "2.0",
      routeKey: "$default",
      rawPath: path,
      rawQueryString: "",
      headers,
      requestContext: { http: { method: "GET", path } },
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const res = (await handler(event, {} as Context)) as { statusCode: number; body: string };
    return { status: res.statusCode, error: (JSON.parse(res.body) as { error?: { message: string } }).error };
  }

  it("is closed when REEF_API_KEY is empty and nothing opts out", async () => {
    for (const env of [{}, { REEF_API_KEY: "" }, { REEF_API_AUTH: "key" }]) {
      const r = await status(env, { "x-api-key": "" });
      expect(r.status).toBe(401);
      expect(r.error?.message).toMatch(/no key configured: set REEF_API_KEY \(or REEF_API_AUTH=none/);
    }
    // the API's description stays public
    expect((await status({}, {}, "/openapi.json")).status).toBe(200);
  });

  it("requires the key when one is set, in every mode but none", async () => {
    for (const mode of ["key", "authorizer"]) {
      const env = { REEF_API_AUTH: mode, REEF_API_KEY: "k1", AWS_LAMBDA_FUNCTION_NAME: "reef-api" };
      expect((await status(env)).status).toBe(401);
      expect((await status(env, { "x-api-key": "k2" })).status).toBe(401);
      expect((await status(env, { "x-api-key": "k1" })).status).toBe(404);
    }
  });

  it("REEF_API_AUTH=none opts out explicitly", async () => {
    expect((await status({ REEF_API_AUTH: "none" })).status).toBe(404);
  });

  it("REEF_API_AUTH=authorizer trusts the AWS authorizer only in AWS Lambda itself", async () => {
    const inAws = { REEF_API_AUTH: "authorizer", AWS_LAMBDA_FUNCTION_NAME: "reef-prod-api" };
    expect((await status(inAws)).status).toBe(404);
    const offline = await status({ ...inAws, IS_OFFLINE: "true" });
    expect(offline.status).toBe(401);
    expect(offline.error?.message).toMatch(/only AWS applies: set REEF_API_KEY/);
    expect((await status({ REEF_API_AUTH: "authorizer" })).status).toBe(401);
  });

  it("rejects an unknown REEF_API_AUTH", () => {
    expect(() => apiAuthFromEnv({ REEF_API_AUTH: "open" })).toThrow(
      expect.objectContaining({
        code: "INVALID_SETTING",
        message: 'REEF_API_AUTH must be key, authorizer, none (got "open")',
      }),
    );
  });
});
