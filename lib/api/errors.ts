// HTTP errors: every failure leaves the API as `{ "error": { "code", "message", "details" } }`
// with the status its code means.
import { ReefError } from "../model";

export class HttpError extends Error {
  override name = "HttpError";
  /** middy's http-error-handler only shows errors marked `expose`. */
  readonly expose = true;
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const STATUS_BY_CODE: Record<string, number> = {
  INVALID_ID: 400,
  INVALID_VERSION: 400,
  INVALID_JSON: 400,
  INVALID_HEADER: 400,
  VALIDATION_FAILED: 400,
  INVALID_DEFINITION: 400,
  INVALID_MANIFEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  STATUS_NOT_FOUND: 404,
  CONFIG_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  VERSION_CONFLICT: 409,
  NOT_A_JOB: 409,
  NOT_PUBLISHED: 409,
  REVISION_MISMATCH: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  LINT_FAILED: 422,
  INVALID_CONFIG: 422,
  INVOKE_FAILED: 502,
  FUNCTION_ERROR: 502,
  NATS_ERROR: 503,
  CONSOLE_NOT_BUILT: 503,
};

/** Any thrown value as an HttpError (unknown errors become a 500 without internals). */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ReefError) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    return new HttpError(status, err.code, err.message, err.details);
  }
  const e = err as { statusCode?: number; message?: string; cause?: { package?: string } };
  // middy's own errors (body parser, router)
  if (e?.cause?.package === "@middy/http-json-body-parser") {
    return new HttpError(400, "INVALID_JSON", "the request body is not valid JSON");
  }
  if (typeof e?.statusCode === "number" && e.statusCode < 500) {
    return new HttpError(e.statusCode, "BAD_REQUEST", e.message ?? "bad request");
  }
  return new HttpError(500, "INTERNAL", "internal error");
}

export function errorBody(err: HttpError): string {
  return JSON.stringify({ error: { code: err.code, message: err.message, details: err.details ?? null } });
}
