// The OpenAPI 3.1 document, generated from the route table and its zod schemas.
import { z } from "zod";
import { ID_PATTERN, VERSION_PATTERN } from "../model";
import { API_KEY_HEADER } from "./auth";
import { routes, type RouteSpec } from "./routes";
import { apiSchemas } from "./schemas";

const ERROR_TEXT: Record<number, string> = {
  400: "invalid request (INVALID_ID, INVALID_VERSION, INVALID_JSON, VALIDATION_FAILED)",
  401: "missing or wrong x-api-key (UNAUTHORIZED)",
  404: "NOT_FOUND, VERSION_NOT_FOUND or STATUS_NOT_FOUND",
  409: "ALREADY_EXISTS, CONFLICT (concurrent writers) or VERSION_CONFLICT",
  412: "If-Match revision is not the current one (REVISION_MISMATCH)",
  413: "request body too large (PAYLOAD_TOO_LARGE)",
  422: "the config does not lint (LINT_FAILED, details.issues) or is not YAML (INVALID_CONFIG)",
};

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function schemaRef(schema: z.ZodType): Record<string, unknown> {
  const meta = apiSchemas.get(schema);
  if (meta) return ref(meta.id);
  return z.toJSONSchema(schema, { unrepresentable: "any" }) as Record<string, unknown>;
}

function operation(route: RouteSpec): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = [];
  if (route.path.includes("{id}")) {
    parameters.push({
      name: "id",
      in: "path",
      required: true,
      schema: { type: "string", pattern: ID_PATTERN.source },
    });
  }
  if (route.path.includes("{version}")) {
    parameters.push({
      name: "version",
      in: "path",
      required: true,
      schema: { type: "string", pattern: VERSION_PATTERN.source },
    });
  }
  if (route.conditional) {
    parameters.push({
      name: "If-Match",
      in: "header",
      required: false,
      description:
        'the ETag (KV revision, e.g. "42") the change is based on; 412 when it is not current. * = must exist',
      schema: { type: "string" },
    });
  }
  for (const q of route.query ?? []) {
    parameters.push({
      name: q.name,
      in: "query",
      required: false,
      description: q.description,
      schema: { type: "string" },
    });
  }
  const responses: Record<string, unknown> = {};
  responses[String(route.ok.status)] = {
    description: route.ok.description,
    ...(route.ok.schema
      ? { content: { "application/json": { schema: schemaRef(route.ok.schema) } } }
      : route.ok.contentType
        ? { content: { [route.ok.contentType]: { schema: { type: "string" } } } }
        : {}),
  };
  const errors = new Set([
    400,
    ...(route.auth === false ? [] : [401]),
    ...(route.body ? [413] : []),
    ...route.errors,
  ]);
  for (const status of [...errors].sort()) {
    responses[String(status)] = {
      description: ERROR_TEXT[status] ?? "error",
      content: { "application/json": { schema: ref("Error") } },
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: false,
            content: { "application/json": { schema: schemaRef(route.body) } },
          },
        }
      : {}),
    responses,
    ...(route.auth === false ? { security: [] } : {}),
  };
}

export function openApiDocument(opts: { serverUrl?: string } = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = operation(route);
  }
  paths["/openapi.json"] = {
    get: {
      operationId: "openApi",
      summary: "This document",
      security: [],
      responses: { "200": { description: "OpenAPI 3.1 document", content: { "application/json": {} } } },
    },
  };
  const { schemas } = z.toJSONSchema(apiSchemas, {
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: "any",
  }) as { schemas: Record<string, Record<string, unknown>> };
  for (const s of Object.values(schemas)) delete s.$schema;
  return {
    openapi: "3.1.0",
    info: {
      title: "reef API",
      version: "1",
      description:
        "Pipeline lifecycle over HTTP. Errors: {error:{code,message,details}}. Definition changes are compare-and-set: send If-Match with the ETag you read.",
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    security: [{ apiKey: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        apiKey: {
          type: "apiKey",
          in: "header",
          name: API_KEY_HEADER,
          description:
            "REEF_API_KEY; required unless REEF_API_AUTH is none, or authorizer in AWS (the HTTP API authorizer applies there)",
        },
      },
    },
  };
}
