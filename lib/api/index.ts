// lib/api: the HTTP API of the `api` function — routes, validation, JSON errors, OpenAPI.
export { createApiHandler, apiHandlerFromEnv, pipelinesFromEnv, DEFAULT_MAX_BODY_BYTES } from "./handler";
export type { ApiOptions, ApiLog } from "./handler";
export { routes } from "./routes";
export type { RouteSpec, RouteContext } from "./routes";
export { openApiDocument } from "./openapi";
export {
  apiAuthFromEnv,
  apiKeyAuth,
  apiKeyForLocalStack,
  apiKeyMatches,
  isPublicPath,
  API_AUTH_MODES,
  API_KEY_HEADER,
} from "./auth";
export type { ApiAuth, ApiAuthMode } from "./auth";
export { HttpError, toHttpError, STATUS_BY_CODE } from "./errors";
