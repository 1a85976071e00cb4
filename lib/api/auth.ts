// API authentication, closed unless opted out (REEF_API_AUTH):
// - `key` (default): every request carries `x-api-key: <REEF_API_KEY>`; with no key set, every
//   request is refused (a missing setting never opens the API).
// - `authorizer`: the AWS HTTP API's authorizer (IAM or JWT, serverless.yml) checks callers. It
//   exists only in AWS, so anywhere else (serverless-offline, invoke local) this acts as `key`.
//   When REEF_API_KEY is set, the header is required as well.
// - `none`: no check at all; for an API that something else guards. Explicit and documented.
import { settingsFrom } from "../config";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { HttpError } from "./errors";

export const API_KEY_HEADER = "x-api-key";

/**
 * Paths served without the key: the API's description and the web console's page, assets and
 * settings (the page asks for the key; its API calls under /ui/api/ need it).
 */
export function isPublicPath(path: string): boolean {
  if (path === "/openapi.json") return true;
  return (path === "/ui" || path.startsWith("/ui/")) && !path.startsWith("/ui/api/");
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

export function apiKeyMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

export const API_AUTH_MODES = ["key", "authorizer", "none"] as const;
export type ApiAuthMode = (typeof API_AUTH_MODES)[number];

export interface ApiAuth {
  mode: ApiAuthMode;
  /** REEF_API_KEY; empty means none. */
  key?: string;
  /** Running in AWS Lambda itself (not serverless-offline), where the HTTP API authorizer applies. */
  inAwsLambda: boolean;
}

/** The API's authentication from REEF_API_AUTH (default `key`) and REEF_API_KEY. */
export function apiAuthFromEnv(env: NodeJS.ProcessEnv = process.env): ApiAuth {
  const s = settingsFrom(env);
  return {
    mode: s.apiAuth,
    key: s.apiKey,
    inAwsLambda: Boolean(env.AWS_LAMBDA_FUNCTION_NAME) && !env.IS_OFFLINE,
  };
}

const unauthorized = (message: string) =>
  new HttpError(401, "UNAUTHORIZED", message, undefined, {
    "WWW-Authenticate": `ApiKey header="${API_KEY_HEADER}"`,
  });

/** middy middleware: 401 unless the request passes `auth` (see the top of this file). */
export function apiKeyAuth(auth: ApiAuth): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: (request) => {
      if (auth.mode === "none") return;
      const path = request.event.rawPath ?? request.event.requestContext?.http?.path;
      if (isPublicPath(path)) return;
      if (!auth.key) {
        if (auth.mode === "authorizer" && auth.inAwsLambda) return;
        throw unauthorized(
          auth.mode === "authorizer"
            ? "REEF_API_AUTH=authorizer relies on the AWS HTTP API authorizer, which only AWS applies: set REEF_API_KEY here"
            : "the API has no key configured: set REEF_API_KEY (or REEF_API_AUTH=none to serve without authentication)",
        );
      }
      const given = request.event.headers?.[API_KEY_HEADER];
      if (!apiKeyMatches(given, auth.key)) {
        throw unauthorized(
          given
            ? "the x-api-key header does not match"
            : "missing x-api-key header (the API key is REEF_API_KEY)",
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
  const configured = settingsFrom(env).apiKey;
  if (configured) return configured;
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
