// Serves the web console (CONTRACT.md §7) from the `api` function: the page at /ui, its prebuilt
// assets (dist/console, made by infra/build.mjs from lib/console/web) and the settings the page
// reads at start. The page calls the API under /ui/api/ (see CONSOLE_API_PREFIX). Files are read on
// first use and kept in memory: one Lambda container serves many requests, and the function's own
// bundle stays small.
import { settingsFrom } from "../config";
import { readdir, readFile } from "node:fs/promises";
import { extname, join, relative, resolve, sep } from "node:path";
import { gzipSync } from "node:zlib";
import { ReefError } from "../model";

/** The page. */
export const CONSOLE_PATH = "/ui";
/** The API as the page calls it: the same routes, under this prefix (in AWS: behind the browser's authorizer). */
export const CONSOLE_API_PREFIX = "/ui/api";
/** Where `npm run build` puts the console (relative to the working directory: the project locally, the package root in Lambda). */
export const DEFAULT_CONSOLE_DIR = "dist/console";

/** How the page authenticates its API calls. */
export type ConsoleAuth =
  /** No check (REEF_API_AUTH=none). */
  | { mode: "none" }
  /** The page asks for the API key once and keeps it in the tab's session storage. */
  | { mode: "api-key"; header: string }
  /** OpenID Connect (authorization code + PKCE): the page sends the access token as a bearer token. */
  | { mode: "oidc"; authority: string; clientId: string; scope: string }
  /** The page cannot authenticate here; `reason` says what to set. */
  | { mode: "unavailable"; reason: string };

export interface ConsoleSettings {
  auth: ConsoleAuth;
  /** Where the page finds the API. */
  apiBase: string;
}

export class ConsoleNotBuiltError extends ReefError<"CONSOLE_NOT_BUILT"> {
  override name = "ConsoleNotBuiltError";
  constructor(dir: string) {
    super(
      "CONSOLE_NOT_BUILT",
      `the web console is not built (no ${join(dir, "index.html")}): run npm run build`,
      { dir },
    );
  }
}

/**
 * The console's settings. `apiAuth` is how the API checks callers: `key` (x-api-key: the page asks
 * for it), `authorizer` (in AWS: the page signs in with OpenID Connect, REEF_CONSOLE_OIDC_ISSUER and
 * REEF_CONSOLE_OIDC_CLIENT_ID, and the HTTP API's JWT authorizer checks the token) or `none`.
 */
export function consoleSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  apiAuth: "none" | "key" | "authorizer",
  keyHeader: string,
): ConsoleSettings {
  let auth: ConsoleAuth;
  if (apiAuth === "none") {
    auth = { mode: "none" };
  } else if (apiAuth === "key") {
    auth = { mode: "api-key", header: keyHeader };
  } else {
    const s = settingsFrom(env);
    const issuer = s.consoleOidcIssuer;
    const clientId = s.consoleOidcClientId;
    auth =
      issuer && clientId
        ? {
            mode: "oidc",
            authority: issuer,
            clientId,
            scope: s.consoleOidcScope,
          }
        : {
            mode: "unavailable",
            reason:
              "behind the AWS authorizer the console signs in with OpenID Connect: set REEF_CONSOLE_OIDC_ISSUER and REEF_CONSOLE_OIDC_CLIENT_ID (infra/aws/README.md)",
          };
  }
  return { auth, apiBase: CONSOLE_API_PREFIX };
}

export interface StaticResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".woff2": "font/woff2",
  ".png": "image/png",
};
const TEXT = /^(text\/|application\/json|image\/svg)/;

interface File {
  type: string;
  path: string;
  /** Read on first request, then kept. */
  bytes?: Promise<Buffer>;
  gzipped?: Buffer;
}

/** Security headers of every console response. */
function securityHeaders(settings: ConsoleSettings): Record<string, string> {
  // The OIDC provider's discovery and token endpoints may live on other https origins (Cognito: two).
  const connect = settings.auth.mode === "oidc" ? "'self' https:" : "'self'";
  return {
    "Content-Security-Policy":
      `default-src 'self'; script-src 'self'; connect-src ${connect}; img-src 'self' data:; ` +
      // mermaid styles its SVG with a <style> element and inline styles
      "style-src 'self' 'unsafe-inline'; font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
  };
}

export class ConsoleFiles {
  private files?: Promise<Map<string, File>>;
  readonly dir: string;

  constructor(
    dir: string,
    private readonly settings: ConsoleSettings,
  ) {
    this.dir = resolve(dir);
  }

  /** The response for a path under /ui, or null when there is nothing there. */
  async respond(path: string, acceptEncoding = ""): Promise<StaticResponse | null> {
    if (path === CONSOLE_PATH || path === `${CONSOLE_PATH}/`) return this.page();
    if (path === `${CONSOLE_PATH}/config.json`) {
      return {
        statusCode: 200,
        headers: { "Content-Type": TYPES[".json"], "Cache-Control": "no-store" },
        body: JSON.stringify(this.settings),
      };
    }
    const asset = path.startsWith(`${CONSOLE_PATH}/assets/`) ? path.slice(`${CONSOLE_PATH}/`.length) : null;
    if (!asset) return null;
    // only names that exist in the build: nothing else of the file system is reachable
    let files = await this.load();
    if (!files.has(asset)) {
      this.files = undefined; // rebuilt since (npm run build while the stack runs)?
      files = await this.load();
    }
    const f = files.get(asset);
    return f ? this.asset(f, acceptEncoding) : null;
  }

  /** The page, read at each request: small, and it names the assets of the current build. */
  private async page(): Promise<StaticResponse> {
    const html = await readFile(join(this.dir, "index.html"), "utf8").catch(() => {
      throw new ConsoleNotBuiltError(this.dir);
    });
    return {
      statusCode: 200,
      headers: {
        "Content-Type": TYPES[".html"],
        "Cache-Control": "no-cache",
        ...securityHeaders(this.settings),
      },
      body: html,
    };
  }

  private async asset(f: File, acceptEncoding: string): Promise<StaticResponse> {
    const headers = {
      "Content-Type": f.type,
      // names carry a content hash: cache for good
      "Cache-Control": "public, max-age=31536000, immutable",
      ...securityHeaders(this.settings),
    };
    const text = TEXT.test(f.type);
    f.bytes ??= readFile(f.path).catch((err) => {
      f.bytes = undefined;
      throw err;
    });
    const bytes = await f.bytes;
    if (text && bytes.length > 1024 && /\bgzip\b/.test(acceptEncoding)) {
      f.gzipped ??= gzipSync(bytes);
      return {
        statusCode: 200,
        headers: { ...headers, "Content-Encoding": "gzip", Vary: "Accept-Encoding" },
        body: f.gzipped.toString("base64"),
        isBase64Encoded: true,
      };
    }
    return text
      ? { statusCode: 200, headers, body: bytes.toString("utf8") }
      : { statusCode: 200, headers, body: bytes.toString("base64"), isBase64Encoded: true };
  }

  private load(): Promise<Map<string, File>> {
    this.files ??= (async () => {
      const files = new Map<string, File>();
      const names = await readdir(this.dir, { recursive: true, withFileTypes: true }).catch(() => {
        throw new ConsoleNotBuiltError(this.dir);
      });
      for (const entry of names) {
        if (!entry.isFile()) continue;
        const path = join(entry.parentPath, entry.name);
        const name = relative(this.dir, path).split(sep).join("/");
        files.set(name, { type: TYPES[extname(name)] ?? "application/octet-stream", path });
      }
      return files;
    })().catch((err) => {
      this.files = undefined; // built later (npm run build while the stack runs): found on the next request
      throw err;
    });
    return this.files;
  }
}
