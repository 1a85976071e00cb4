// The local-stack API key: REEF_API_KEY wins; otherwise one key is generated and kept.
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apiKeyForLocalStack, apiKeyMatches } from "../../lib/api";

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
