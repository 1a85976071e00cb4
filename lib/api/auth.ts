// API authentication. In AWS the HTTP API checks callers (IAM or JWT authorizer, serverless.yml);
// wherever REEF_API_KEY is set (locally: always, `npm start` sets it) every request must also
// carry `x-api-key: <REEF_API_KEY>`.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { HttpError } from "./errors";

export const API_KEY_HEADER = "x-api-key";

/** Paths served without the key (the API's description only). */
const PUBLIC_PATHS = new Set(["/openapi.json"]);

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

export function apiKeyMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** middy middleware: 401 unless the x-api-key header equals `key` (no check when `key` is empty). */
export function apiKeyAuth(key: string | undefined): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: (request) => {
      if (!key) return;
      const path = request.event.rawPath ?? request.event.requestContext?.http?.path;
      if (PUBLIC_PATHS.has(path)) return;
      const given = request.event.headers?.[API_KEY_HEADER];
      if (!apiKeyMatches(given, key)) {
        throw new HttpError(
          401,
          "UNAUTHORIZED",
          given
            ? "the x-api-key header does not match"
            : "missing x-api-key header (the API key is REEF_API_KEY)",
          undefined,
          { "WWW-Authenticate": `ApiKey header="${API_KEY_HEADER}"` },
        );
      }
    },
  };
}

/**
 * The API key for the local stack: REEF_API_KEY when set, else the key kept in
 * `<stateDir>/api-key` (created with a random value on first use, mode 0600), so it stays the
 * same across restarts. The local stack passes it to serverless-offline as REEF_API_KEY and prints it.
 */
export function apiKeyForLocalStack(opts: { env?: NodeJS.ProcessEnv; stateDir?: string } = {}): string {
  const env = opts.env ?? process.env;
  if (env.REEF_API_KEY) return env.REEF_API_KEY;
  const dir = opts.stateDir ?? join(process.cwd(), ".reef");
  const file = join(dir, "api-key");
  try {
    const existing = readFileSync(file, "utf8").trim();
    if (existing) return existing;
  } catch {
    // first start
  }
  const key = randomBytes(24).toString("base64url");
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, key + "\n", { mode: 0o600 });
  return key;
}
