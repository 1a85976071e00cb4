// The api Lambda handler: middy with header normalisation, API key, size limit, JSON body
// parsing, the router, and JSON errors.
import { functionContext, type ReefContext } from "../context";
import { localLambdaEndpoint, settingsFrom } from "../config";
import middy from "@middy/core";
import httpErrorHandler from "@middy/http-error-handler";
import httpHeaderNormalizer from "@middy/http-header-normalizer";
import httpJsonBodyParser from "@middy/http-json-body-parser";
import httpRouterHandler from "@middy/http-router";
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { InvalidIdError, isValidId, type RunRecord, type TriggerEvent } from "../model";
import { createInvoker, type Invoker } from "../invoke";
import { bridgeConfigFromEnv } from "../bridge";
import { Pipelines } from "../pipelines";
import {
  CONSOLE_API_PREFIX,
  CONSOLE_PATH,
  ConsoleFiles,
  consoleSettingsFromEnv,
  DEFAULT_CONSOLE_DIR,
} from "../console/serve";
import { API_KEY_HEADER, apiAuthFromEnv, apiKeyAuth, type ApiAuth } from "./auth";
import { errorBody, HttpError, toHttpError } from "./errors";
import { openApiDocument } from "./openapi";
import { checkVersionParam, json, routes, type RouteSpec } from "./routes";

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface ApiLog {
  error(message: string, ...fields: Record<string, unknown>[]): void;
}

export interface ApiOptions {
  /** The lifecycle service (called per request; cache the connection yourself). */
  pipelines: () => Promise<Pipelines>;
  /** Who may call (apiAuthFromEnv: REEF_API_AUTH, REEF_API_KEY). */
  auth: ApiAuth;
  maxBodyBytes?: number;
  log?: ApiLog;
  /** The web console's files and settings (GET /ui); without it /ui answers 404. */
  console?: ConsoleFiles;
  /** Starts one run of a job (POST /pipelines/{id}/trigger); without it that route answers 503. */
  trigger?: (event: TriggerEvent) => Promise<{ run: RunRecord }>;
}

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/** 413 before anything parses a body bigger than the limit. */
function bodyLimit(maxBytes: number): MiddlewareObj<Event> {
  return {
    before: (request) => {
      const { body, isBase64Encoded } = request.event;
      // an empty body (even one labelled JSON) means "no options", not malformed JSON
      if (typeof body === "string" && body.trim() === "") request.event.body = undefined;
      if (!request.event.body || !body) return;
      const bytes = isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body);
      if (bytes > maxBytes) {
        throw new HttpError(
          413,
          "PAYLOAD_TOO_LARGE",
          `request body is ${bytes} bytes; the limit is ${maxBytes}`,
          {
            limit: maxBytes,
          },
        );
      }
    },
  };
}

/** Every error as `{error:{code,message,details}}` (http-error-handler then writes the response). */
function jsonErrors(log?: ApiLog): MiddlewareObj<Event> {
  return {
    onError: (request) => {
      const err = toHttpError(request.error);
      if (err.statusCode >= 500)
        log?.error("api request failed", { error: String(request.error?.stack ?? request.error) });
      request.response = {
        statusCode: err.statusCode,
        headers: { "Content-Type": "application/json", ...(err.headers ?? {}) },
        body: errorBody(err),
      };
    },
  };
}

/**
 * The console calls the API as /ui/api/<route> (in AWS that prefix has the browser's authorizer,
 * the plain routes IAM): served as <route>.
 */
function consoleApiPrefix(): MiddlewareObj<Event> {
  return {
    before: (request) => {
      const event = request.event;
      const path = event.requestContext?.http?.path ?? event.rawPath;
      if (!path?.startsWith(`${CONSOLE_API_PREFIX}/`)) return;
      const inner = path.slice(CONSOLE_API_PREFIX.length);
      event.rawPath = inner;
      if (event.requestContext?.http) event.requestContext.http.path = inner;
      // API Gateway's {proxy+} of the prefix route; the router fills in the route's own parameters
      event.pathParameters = undefined;
    },
  };
}

function parseIfMatch(header: string | undefined): { ifRevision?: number; ifExists?: boolean } {
  if (header === undefined || header.trim() === "") return {};
  const v = header.trim();
  if (v === "*") return { ifExists: true };
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(v);
  if (!m) {
    throw new HttpError(
      400,
      "INVALID_HEADER",
      `If-Match must be an ETag from this API (e.g. "42") or *; got ${v}`,
    );
  }
  return { ifRevision: Number(m[1]) };
}

/** Path parameters arrive percent-encoded from some sources; a malformed escape stays as is (and fails validation). */
function decodePathParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function routeHandler(route: RouteSpec, opts: ApiOptions) {
  return async (event: Event): Promise<Result> => {
    const params = { ...(event.pathParameters ?? {}) } as { id?: string; version?: string };
    if (params.id !== undefined) {
      params.id = decodePathParam(params.id);
      if (!isValidId(params.id)) throw new InvalidIdError(params.id);
    }
    if (params.version !== undefined) params.version = checkVersionParam(decodePathParam(params.version));
    let body: Record<string, unknown> = {};
    const raw = event.body as unknown;
    if (route.body) {
      if (typeof raw === "string" && raw.trim() !== "") {
        throw new HttpError(
          415,
          "UNSUPPORTED_MEDIA_TYPE",
          "send the body as JSON with Content-Type: application/json",
        );
      }
      if (raw !== undefined && raw !== null && raw !== "") {
        const parsed = route.body.safeParse(raw);
        if (!parsed.success) {
          const first = parsed.error.issues[0];
          const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
          throw new HttpError(
            400,
            "VALIDATION_FAILED",
            `invalid request body: ${first.path.length ? `${first.path.join(".")}: ` : ""}${first.message}`,
            { issues },
          );
        }
        body = parsed.data as Record<string, unknown>;
      }
    }
    const conditions = route.conditional ? parseIfMatch(event.headers?.["if-match"]) : {};
    const pipelines = await opts.pipelines();
    return route.handle({
      event,
      pipelines,
      params,
      body,
      query: event.queryStringParameters ?? {},
      ...(opts.trigger ? { trigger: opts.trigger } : {}),
      ...conditions,
    });
  };
}

export function createApiHandler(opts: ApiOptions) {
  const table = routes.map((route) => ({
    method: route.method,
    path: route.path,
    handler: routeHandler(route, opts),
  }));
  table.push({
    method: "GET",
    path: "/openapi.json",
    handler: async (event: Event) =>
      json(
        200,
        openApiDocument({ serverUrl: event.headers?.host ? `https://${event.headers.host}` : undefined }),
      ),
  });
  const consoleFiles = opts.console;
  const serveConsole = async (event: Event): Promise<Result> => {
    const path = event.requestContext?.http?.path ?? event.rawPath;
    const res = await consoleFiles?.respond(path, event.headers?.["accept-encoding"]);
    if (!res) throw new HttpError(404, "ROUTE_NOT_FOUND", `no route GET ${path}`);
    return res;
  };
  table.push(
    { method: "GET", path: CONSOLE_PATH, handler: serveConsole },
    { method: "GET", path: `${CONSOLE_PATH}/{proxy+}`, handler: serveConsole },
  );
  const router = httpRouterHandler({
    routes: table,
    notFoundResponse: ({ method, path }: { method: string; path: string }) => {
      const known = table.filter((r) =>
        new RegExp(`^${r.path.replace(/\{[^}]+\}/g, "[^/]+")}/?$`).test(path),
      );
      if (known.length) {
        throw new HttpError(405, "METHOD_NOT_ALLOWED", `${method} is not allowed on ${path}`, {
          allowed: known.map((r) => r.method),
        });
      }
      throw new HttpError(404, "ROUTE_NOT_FOUND", `no route ${method} ${path}`);
    },
  });
  return middy<Event, Result, Error, Context>()
    .use(httpErrorHandler({ logger: false }))
    .use(jsonErrors(opts.log))
    .use(httpHeaderNormalizer())
    .use(consoleApiPrefix())
    .use(apiKeyAuth(opts.auth))
    .use(bodyLimit(opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES))
    .use(httpJsonBodyParser({ disableContentTypeError: true }))
    .handler(router as unknown as (event: Event, context: Context) => Promise<Result>);
}

const pipelinesOf = new WeakMap<ReefContext, Pipelines>();

/**
 * The Pipelines service on the container's context (lib/context: connected once per Lambda
 * container, connected again when the connection gave up or the first connect failed).
 */
export async function pipelinesFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Pipelines> {
  const ctx = await functionContext({ env });
  let pipelines = pipelinesOf.get(ctx);
  if (!pipelines) pipelinesOf.set(ctx, (pipelines = new Pipelines(ctx.store, { env })));
  return pipelines;
}

let invoker: Invoker | undefined;

/**
 * Starts a run through the `trigger` function (its environment has what runs need): the Lambda
 * Invoke API in AWS; under serverless-offline (IS_OFFLINE) its lambda port on this machine.
 */
function triggerFromEnv(env: NodeJS.ProcessEnv) {
  return async (event: TriggerEvent): Promise<{ run: RunRecord }> => {
    if (!invoker) {
      // Once per container, like the invoker (was read again on every trigger and dropped).
      const config = bridgeConfigFromEnv(env);
      invoker = createInvoker(
        {
          ...config,
          invoker: "lambda",
          lambdaEndpoint: config.lambdaEndpoint ?? (env.IS_OFFLINE ? localLambdaEndpoint(env) : undefined),
        },
        env,
      );
    }
    return invoker.trigger!(event);
  };
}

/** How the console's page authenticates, given the API's authentication. */
function consoleAuthOf(auth: ApiAuth): "none" | "key" | "authorizer" {
  if (auth.mode === "none") return "none";
  // the AWS authorizer exists only in AWS; anywhere else the API wants the key
  return auth.mode === "authorizer" && auth.inAwsLambda ? "authorizer" : "key";
}

/** The handler configured from the environment (REEF_API_AUTH, REEF_API_KEY, REEF_API_MAX_BODY_BYTES, REEF_CONSOLE_*). */
export function apiHandlerFromEnv(env: NodeJS.ProcessEnv = process.env, log?: ApiLog) {
  const auth = apiAuthFromEnv(env);
  return createApiHandler({
    pipelines: () => pipelinesFromEnv(env),
    trigger: triggerFromEnv(env),
    auth,
    maxBodyBytes: settingsFrom(env).apiMaxBodyBytes,
    log,
    console: new ConsoleFiles(
      DEFAULT_CONSOLE_DIR,
      consoleSettingsFromEnv(env, consoleAuthOf(auth), API_KEY_HEADER),
    ),
  });
}
