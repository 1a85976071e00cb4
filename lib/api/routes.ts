// The routes of the HTTP API: one table drives routing, validation and the OpenAPI document.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { z } from "zod";
import {
  definedOnly,
  isValidVersion,
  VERSION_RULE,
  type JobFields,
  type RunRecord,
  type TriggerEvent,
} from "../model";
import { configDigest } from "../store";
import type { Pipelines, WriteResult } from "../pipelines";
import { HttpError } from "./errors";
import {
  createPipelineBody,
  diffOut,
  graphOut,
  historyOut,
  logsOut,
  pipelineListOut,
  pipelineOut,
  observedOut,
  pipelineHealthOut,
  publishBody,
  putPipelineBody,
  rollbackBody,
  runRecordOut,
  statusChangeBody,
  triggerBody,
  versionsOut,
  writeResultOut,
} from "./schemas";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface RouteContext {
  event: APIGatewayProxyEventV2;
  pipelines: Pipelines;
  /** Validated path parameters. */
  params: { id?: string; version?: string };
  /** The parsed, validated JSON body ({} when none was sent). */
  body: Record<string, unknown>;
  /** From `If-Match: "<revision>"`. */
  ifRevision?: number;
  /** `If-Match: *`: the pipeline must exist. */
  ifExists?: boolean;
  query: Record<string, string | undefined>;
  /** Starts one run of a job (the `trigger` function); absent: this API cannot start runs. */
  trigger?: (event: TriggerEvent) => Promise<{ run: RunRecord }>;
}

export interface RouteSpec {
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  body?: z.ZodType;
  /** The success response (status, JSON schema or a content type). */
  ok: { status: number; description: string; schema?: z.ZodType; contentType?: string };
  /** Error statuses besides 400/401/413 that every route can answer. */
  errors: number[];
  /** Honours If-Match (ETag = KV revision). */
  conditional?: boolean;
  query?: { name: string; description: string }[];
  /** False for routes served without the API key. */
  auth?: boolean;
  handle(ctx: RouteContext): Promise<APIGatewayProxyStructuredResultV2>;
}

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

export function etag(revision: number | null | undefined): Record<string, string> {
  return revision ? { ETag: `"${revision}"` } : {};
}

function writeResponse(r: WriteResult, statusCode = 200): APIGatewayProxyStructuredResultV2 {
  return json(statusCode, r, etag(r.revision));
}

function writeOptions(ctx: RouteContext) {
  return { ifRevision: ctx.ifRevision };
}

const WRITE_ERRORS = [404, 409, 412, 422];

/** A body's job fields (mode, trigger, concurrency, timeout, retries) as the service takes them. */
function withJob<T extends JobFields & { id: string }>(
  body: T,
): Omit<T, keyof JobFields> & { job?: JobFields } {
  const { mode, trigger, concurrency, timeout, retries, ...rest } = body;
  const job: JobFields = definedOnly({ mode, trigger, concurrency, timeout, retries });
  return { ...rest, ...(Object.keys(job).length ? { job } : {}) };
}
const MAX_EVENTS = 200;
const MAX_LOG_LINES = 1000;

export const routes: RouteSpec[] = [
  {
    method: "GET",
    path: "/pipelines",
    operationId: "listPipelines",
    summary: "List pipelines: each definition next to its observed status and its live health",
    ok: { status: 200, description: "every pipeline", schema: pipelineListOut },
    errors: [],
    handle: async ({ pipelines }) =>
      json(200, {
        pipelines: (await pipelines.listLive()).map(({ view, health }) => ({ ...view, health })),
      }),
  },
  {
    method: "POST",
    path: "/pipelines",
    operationId: "createPipeline",
    summary: "Create a pipeline (409 if the id exists). A config becomes version 1.",
    body: createPipelineBody,
    ok: { status: 201, description: "created", schema: writeResultOut },
    errors: [409, 404, 422],
    handle: async ({ pipelines, body }) => {
      const { force, ...input } = body as z.infer<typeof createPipelineBody>;
      const r = await pipelines.apply(withJob(input), { mustNotExist: true, force });
      return json(201, r, { ...etag(r.revision), Location: `/pipelines/${r.id}` });
    },
  },
  {
    method: "GET",
    path: "/pipelines/{id}",
    operationId: "getPipeline",
    summary: "One pipeline: definition, observed status; ETag = KV revision",
    ok: { status: 200, description: "the pipeline", schema: pipelineOut },
    errors: [404],
    handle: async ({ pipelines, params }) => {
      const v = await pipelines.get(params.id!);
      return json(200, v, etag(v.revision));
    },
  },
  {
    method: "PUT",
    path: "/pipelines/{id}",
    operationId: "putPipeline",
    summary:
      "Create or update a pipeline. Omitted fields keep their value; a config becomes a new version (identical content reuses one). If-Match: compare-and-set.",
    body: putPipelineBody,
    conditional: true,
    ok: { status: 200, description: "updated (201 when created)", schema: writeResultOut },
    errors: WRITE_ERRORS,
    handle: async (ctx) => {
      const { force, ...input } = ctx.body as z.infer<typeof putPipelineBody>;
      if (input.id !== undefined && input.id !== ctx.params.id) {
        throw new HttpError(
          400,
          "VALIDATION_FAILED",
          `body id ${input.id} does not match the path id ${ctx.params.id}`,
        );
      }
      const r = await ctx.pipelines.apply(withJob({ ...input, id: ctx.params.id! }), {
        ...writeOptions(ctx),
        mustExist: ctx.ifExists,
        force,
      });
      return writeResponse(r, r.action === "created" ? 201 : 200);
    },
  },
  {
    method: "DELETE",
    path: "/pipelines/{id}",
    operationId: "deletePipeline",
    summary:
      "Delete a pipeline (its executions are then removed). ?purge=true also drops history and config versions.",
    conditional: true,
    query: [{ name: "purge", description: "true: also delete the KV history and every config version" }],
    ok: { status: 200, description: "deleted", schema: writeResultOut },
    errors: [404, 409, 412],
    handle: async (ctx) => {
      const purge = ctx.query.purge === "true" || ctx.query.purge === "1";
      return writeResponse(await ctx.pipelines.delete(ctx.params.id!, { ...writeOptions(ctx), purge }));
    },
  },
  {
    method: "POST",
    path: "/pipelines/{id}/publish",
    operationId: "publishPipeline",
    summary: "Publish (lints the config first: 422 with the issues unless force)",
    body: publishBody,
    conditional: true,
    ok: { status: 200, description: "published", schema: writeResultOut },
    errors: WRITE_ERRORS,
    handle: async (ctx) => {
      const b = ctx.body as z.infer<typeof publishBody>;
      return writeResponse(
        await ctx.pipelines.setStatus(ctx.params.id!, "published", {
          ...writeOptions(ctx),
          version: b.version,
          force: b.force,
        }),
      );
    },
  },
  {
    method: "POST",
    path: "/pipelines/{id}/pause",
    operationId: "pausePipeline",
    summary: "Pause: executions stopped but kept",
    body: statusChangeBody,
    conditional: true,
    ok: { status: 200, description: "paused", schema: writeResultOut },
    errors: WRITE_ERRORS,
    handle: async (ctx) => {
      const b = ctx.body as z.infer<typeof statusChangeBody>;
      return writeResponse(
        await ctx.pipelines.setStatus(ctx.params.id!, "paused", { ...writeOptions(ctx), version: b.version }),
      );
    },
  },
  {
    method: "POST",
    path: "/pipelines/{id}/draft",
    operationId: "draftPipeline",
    summary: "Draft: no execution, definition kept",
    body: statusChangeBody,
    conditional: true,
    ok: { status: 200, description: "now a draft", schema: writeResultOut },
    errors: WRITE_ERRORS,
    handle: async (ctx) => {
      const b = ctx.body as z.infer<typeof statusChangeBody>;
      return writeResponse(
        await ctx.pipelines.setStatus(ctx.params.id!, "draft", { ...writeOptions(ctx), version: b.version }),
      );
    },
  },
  {
    method: "POST",
    path: "/pipelines/{id}/trigger",
    operationId: "triggerJob",
    summary:
      "Start one run of a published job (mode job) through the trigger function: the run's record (state skipped under concurrency forbid while a run is active)",
    body: triggerBody,
    ok: { status: 202, description: "the run started (or was skipped)", schema: runRecordOut },
    errors: [404, 409, 503],
    handle: async (ctx) => {
      const id = ctx.params.id!;
      const view = await ctx.pipelines.get(id);
      if (!view.definition) {
        throw new HttpError(409, "INVALID_DEFINITION", `pipeline ${id} has an invalid definition`, {
          error: view.definitionError,
        });
      }
      if (view.definition.mode !== "job") {
        throw new HttpError(
          409,
          "NOT_A_JOB",
          `pipeline ${id} is a stream: only mode "job" pipelines are triggered`,
        );
      }
      if (view.definition.status !== "published") {
        throw new HttpError(
          409,
          "NOT_PUBLISHED",
          `job ${id} is ${view.definition.status}: publish it to trigger runs`,
        );
      }
      if (!ctx.trigger) throw new HttpError(503, "TRIGGER_UNAVAILABLE", "this API cannot start runs");
      const b = ctx.body as z.infer<typeof triggerBody>;
      const answer = await ctx.trigger({
        id,
        trigger: "manual",
        ...(b.payload ? { payload: Buffer.from(b.payload).toString("base64") } : {}),
      });
      return json(202, answer.run);
    },
  },
  {
    method: "POST",
    path: "/pipelines/{id}/rollback",
    operationId: "rollbackPipeline",
    summary: "Switch to an earlier version (default: the one before the current); status is kept",
    body: rollbackBody,
    conditional: true,
    ok: { status: 200, description: "rolled back", schema: writeResultOut },
    errors: WRITE_ERRORS,
    handle: async (ctx) => {
      const b = ctx.body as z.infer<typeof rollbackBody>;
      return writeResponse(
        await ctx.pipelines.rollback(ctx.params.id!, { ...writeOptions(ctx), to: b.to, force: b.force }),
      );
    },
  },
  {
    method: "GET",
    path: "/pipelines/{id}/versions",
    operationId: "listVersions",
    summary: "The pipeline's immutable config versions",
    ok: { status: 200, description: "versions, oldest first", schema: versionsOut },
    errors: [404],
    handle: async ({ pipelines, params }) => json(200, await pipelines.versions(params.id!)),
  },
  {
    method: "GET",
    path: "/pipelines/{id}/versions/{version}",
    operationId: "getVersion",
    summary: "One version's config (YAML)",
    ok: { status: 200, description: "the Benthos config", contentType: "application/yaml" },
    errors: [404],
    handle: async ({ pipelines, params }) => {
      const text = await pipelines.config(params.id!, params.version!);
      return {
        statusCode: 200,
        headers: {
          "Content-Type": "application/yaml; charset=utf-8",
          ETag: `"sha256:${configDigest(new TextEncoder().encode(text))}"`,
          "Cache-Control": "max-age=31536000, immutable",
        },
        body: text,
      };
    },
  },
  {
    method: "GET",
    path: "/pipelines/{id}/status",
    operationId: "getStatus",
    summary: "The observed status (404 STATUS_NOT_FOUND until the control plane converged it)",
    ok: { status: 200, description: "observed status", schema: observedOut },
    errors: [404],
    handle: async ({ pipelines, params }) => json(200, await pipelines.status(params.id!)),
  },
  {
    method: "GET",
    path: "/pipelines/{id}/diff",
    operationId: "diffVersions",
    summary: "Unified diff between two versions' configs (as `reef diff`)",
    query: [
      { name: "from", description: "the older version (required)" },
      { name: "to", description: "the newer version (default: the current one)" },
    ],
    ok: { status: 200, description: "the diff", schema: diffOut },
    errors: [404],
    handle: async (ctx) => {
      const from = versionQuery(ctx, "from");
      if (!from)
        throw new HttpError(400, "VALIDATION_FAILED", "query parameter from (a version) is required");
      return json(200, await ctx.pipelines.diff(ctx.params.id!, from, versionQuery(ctx, "to")));
    },
  },
  {
    method: "GET",
    path: "/pipelines/{id}/graph",
    operationId: "getGraph",
    summary: "A version's config as a Mermaid flowchart (as `reef graph`)",
    query: [{ name: "version", description: "default: the current version" }],
    ok: { status: 200, description: "the flowchart", schema: graphOut },
    errors: [404, 422],
    handle: async (ctx) => json(200, await ctx.pipelines.graph(ctx.params.id!, versionQuery(ctx, "version"))),
  },
  {
    method: "GET",
    path: "/pipelines/{id}/events",
    operationId: "getEvents",
    summary:
      "The most recent changes recorded in PIPELINE_EVENTS (newest first) and the verification of the pipeline's hash chain",
    query: [{ name: "limit", description: `how many events (1 to ${MAX_EVENTS}, default 20)` }],
    ok: { status: 200, description: "recent events and the chain verification", schema: historyOut },
    errors: [],
    handle: async (ctx) => {
      const limit = intQuery(ctx, "limit", 1, MAX_EVENTS) ?? 20;
      return json(200, await ctx.pipelines.history(ctx.params.id!, { limit }));
    },
  },
  {
    method: "GET",
    path: "/pipelines/{id}/logs",
    operationId: "getLogs",
    summary:
      "Log lines of the pipeline's executions from PIPELINE_LOGS (as reef logs): the last ones, or those after a sequence",
    query: [
      { name: "limit", description: `how many lines (1 to ${MAX_LOG_LINES}, default 200)` },
      { name: "after", description: "only lines after this sequence (a lastSeq from before), oldest first" },
      { name: "replica", description: "only this replica's lines" },
    ],
    ok: { status: 200, description: "log lines, oldest first", schema: logsOut },
    errors: [],
    handle: async (ctx) =>
      json(
        200,
        await ctx.pipelines.logs(ctx.params.id!, {
          limit: intQuery(ctx, "limit", 1, MAX_LOG_LINES) ?? 200,
          after: intQuery(ctx, "after", 0, Number.MAX_SAFE_INTEGER),
          replica: intQuery(ctx, "replica", 0, 10_000),
        }),
      ),
  },
  {
    method: "GET",
    path: "/pipelines/{id}/health",
    operationId: "getHealth",
    summary:
      "Live health: the current heartbeat of each replica (counters, rates, latency, lag, last error) and their fold",
    ok: { status: 200, description: "health and per-replica heartbeats", schema: pipelineHealthOut },
    errors: [404],
    handle: async ({ pipelines, params }) => json(200, await pipelines.health(params.id!)),
  },
  {
    method: "GET",
    path: "/metrics",
    operationId: "getMetrics",
    summary:
      "Prometheus exposition of every execution's counters and gauges, labelled pipeline, replica and version",
    ok: { status: 200, description: "Prometheus text format 0.0.4", contentType: "text/plain" },
    errors: [],
    handle: async ({ pipelines }) => {
      const { contentType, text } = await pipelines.metrics();
      return { statusCode: 200, headers: { "Content-Type": contentType }, body: text };
    },
  },
];

/** A version from the query string (validated), or undefined. */
function versionQuery(ctx: RouteContext, name: string): string | undefined {
  const v = ctx.query[name];
  return v === undefined || v === "" ? undefined : checkVersionParam(v);
}

/** An integer from the query string in [min, max] (400 otherwise), or undefined. */
function intQuery(ctx: RouteContext, name: string, min: number, max: number): number | undefined {
  const raw = ctx.query[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new HttpError(
      400,
      "VALIDATION_FAILED",
      `${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

export function checkVersionParam(version: string): string {
  if (!isValidVersion(version)) {
    throw new HttpError(
      400,
      "INVALID_VERSION",
      `invalid version ${JSON.stringify(version)}: ${VERSION_RULE}`,
      {
        version,
      },
    );
  }
  return version;
}
