// Request and response schemas of the HTTP API. Requests are validated with them; the OpenAPI
// document is generated from them (z.toJSONSchema), so the two never drift apart.
import { z } from "zod";
import {
  autoscaleSchema,
  healthSchema,
  heartbeatSchema,
  ID_PATTERN,
  ID_RULE,
  STATUSES,
  VERSION_PATTERN,
  VERSION_RULE,
  lintIssueSchema,
  jobFields,
  replicasSchema,
  runRecordSchema,
  statusSchema,
} from "../model";

/** The named schemas: components of the OpenAPI document. */
export const apiSchemas = z.registry<{ id: string }>();

const id = z.string().regex(ID_PATTERN, { error: ID_RULE }).describe("pipeline id (a DNS label)");
const version = z.string().regex(VERSION_PATTERN, { error: VERSION_RULE }).describe("a config version");

const fields = {
  name: z.string().max(256).optional(),
  description: z.string().max(4096).nullable().optional().describe("null removes it"),
  status: z.enum(STATUSES).optional().describe("omitted: keep the current one (new pipelines: draft)"),
  replicas: replicasSchema.optional().describe("0 to REEF_MAX_REPLICAS (default 32)"),
  labels: z.record(z.string(), z.string()).optional(),
  autoscale: autoscaleSchema
    .nullable()
    .optional()
    .describe(
      "replicas follow the JetStream consumer lag: ceil(pending / targetPending) within [min, max] (max ≤ REEF_MAX_REPLICAS), down one step per cooldown; null removes it",
    ),
  config: z
    .string()
    .min(1)
    .optional()
    .describe("the Benthos YAML config: a new version, or the existing version with identical content"),
  version: version.optional().describe("point at this existing version instead of uploading a config"),
  force: z.boolean().optional().describe("publish even when lint finds errors"),
  // a job pipeline (CONTRACT.md §8): mode job, trigger { subject, schedule }, concurrency, timeout, retries
  ...jobFields,
};

export const createPipelineBody = z
  .object({ id, ...fields })
  .strict()
  .register(apiSchemas, { id: "CreatePipeline" });
export const putPipelineBody = z
  .object({ id: id.optional().describe("if given, must equal the path id"), ...fields })
  .strict()
  .register(apiSchemas, { id: "PutPipeline" });
export const publishBody = z
  .object({
    version: version.optional().describe("default: the current version (or the newest one)"),
    force: z.boolean().optional().describe("publish even when lint finds errors"),
  })
  .strict()
  .register(apiSchemas, { id: "PublishRequest" });
export const triggerBody = z
  .object({
    payload: z
      .string()
      .max(64 * 1024)
      .optional()
      .describe("the run's stdin (UTF-8 text, at most 64 KiB)"),
  })
  .strict()
  .register(apiSchemas, { id: "TriggerRequest" });
export const runRecordOut = runRecordSchema.register(apiSchemas, { id: "RunRecord" });
export const statusChangeBody = z
  .object({ version: version.optional() })
  .strict()
  .register(apiSchemas, { id: "StatusChangeRequest" });
export const rollbackBody = z
  .object({
    to: version.optional().describe("default: the version before the current one"),
    force: z.boolean().optional(),
  })
  .strict()
  .register(apiSchemas, { id: "RollbackRequest" });

export const definitionOut = z
  .object({
    id,
    name: z.string().optional(),
    description: z.string().nullable().optional(),
    status: z.enum(STATUSES),
    version: z.string().optional(),
    replicas: z.number().int().describe("with autoscale: only the starting count"),
    labels: z.record(z.string(), z.string()).optional(),
    autoscale: autoscaleSchema.optional(),
  })
  .catchall(z.unknown())
  .register(apiSchemas, { id: "Definition" });

const statusError = z.object({ code: z.string(), message: z.string() });

export const healthOut = healthSchema.register(apiSchemas, { id: "Health" });
export const heartbeatOut = heartbeatSchema.register(apiSchemas, { id: "Heartbeat" });
export const observedOut = statusSchema.register(apiSchemas, { id: "ObservedStatus" });
export const pipelineHealthOut = z
  .object({
    id,
    phase: z.string().nullable().describe("the status phase (null before the first converge)"),
    health: healthOut.describe("folded now from the current heartbeats"),
    replicas: z.array(heartbeatOut).describe("the current heartbeat of each replica"),
  })
  .register(apiSchemas, { id: "PipelineHealth" });

export const pipelineOut = z
  .object({
    id,
    revision: z.number().int().describe("KV revision of the definition (also the ETag)"),
    updatedAt: z.string(),
    definition: definitionOut.nullable(),
    definitionError: statusError.nullable(),
    observed: observedOut.nullable(),
  })
  .register(apiSchemas, { id: "Pipeline" });

export const pipelineListOut = z
  .object({
    pipelines: z.array(
      pipelineOut.extend({
        health: healthOut.describe(
          "live: folded now from the current heartbeats (observed.health is the status' own, as of its last converge)",
        ),
      }),
    ),
  })
  .register(apiSchemas, { id: "PipelineList" });

export const writeResultOut = z
  .object({
    id,
    action: z.enum(["created", "updated", "unchanged", "deleted"]),
    revision: z.number().int().nullable(),
    version: z.string().nullable(),
    versionCreated: z.boolean(),
    status: z.enum(STATUSES).nullable(),
    previous: z
      .object({ revision: z.number().int(), status: z.string().nullable(), version: z.string().nullable() })
      .nullable(),
    changes: z.array(z.string()),
    definition: definitionOut.nullable(),
    lint: z.object({ linter: z.string(), issues: z.array(lintIssueSchema) }).optional(),
    dryRun: z.boolean(),
  })
  .register(apiSchemas, { id: "WriteResult" });

export const versionsOut = z
  .object({
    id,
    current: z.string().nullable(),
    versions: z.array(
      z.object({
        version: z.string(),
        digest: z.string(),
        size: z.number().int(),
        createdAt: z
          .string()
          .nullable()
          .describe(
            "when the version was written (ISO 8601); null when unknown: the client that wrote it left the object's modification time unset (zero)",
          ),
      }),
    ),
  })
  .register(apiSchemas, { id: "Versions" });

export const diffOut = z
  .object({
    id,
    from: z.string(),
    to: z.string(),
    patch: z.string().describe("unified diff of the two configs"),
    identical: z.boolean(),
  })
  .register(apiSchemas, { id: "Diff" });

export const graphOut = z
  .object({
    id,
    version: z.string(),
    mermaid: z.string().describe("the config as a Mermaid flowchart (as `reef graph`)"),
  })
  .register(apiSchemas, { id: "Graph" });

const eventRowOut = z.object({
  seq: z.number().int(),
  time: z.string(),
  pipeline: z.string(),
  operation: z.string().nullable(),
  revision: z.number().int().nullable(),
  outcome: z.string().describe("ok, failed, or unreadable"),
  phase: z.string().nullable(),
  actions: z.array(z.string()),
  error: statusError.nullable(),
  durationMs: z.number().nullable(),
  attempts: z.number().int().nullable(),
  hash: z.string().nullable(),
});

export const historyOut = z
  .object({
    id,
    events: z.array(eventRowOut).describe("the most recent recorded changes, newest first"),
    total: z.number().int().describe("recorded changes of this pipeline in the stream"),
    verification: z.object({
      ok: z.boolean().describe("the pipeline's hash chain is whole (reef events verify)"),
      records: z.number().int(),
      startsAfterRetention: z.boolean(),
      problems: z.array(
        z.object({
          kind: z.string(),
          pipeline: z.string().nullable(),
          seq: z.number().int(),
          message: z.string(),
        }),
      ),
    }),
  })
  .register(apiSchemas, { id: "History" });

export const logsOut = z
  .object({
    id,
    lines: z
      .array(
        z.object({
          seq: z.number().int(),
          time: z.string(),
          level: z.string(),
          message: z.string(),
          replica: z.number().int(),
        }),
      )
      .describe("oldest first"),
    lastSeq: z.number().int().nullable().describe("pass it back as after= to get only newer lines"),
  })
  .register(apiSchemas, { id: "Logs" });

export const errorOut = z
  .object({
    error: z.object({
      code: z.string().describe("stable machine-readable code, e.g. INVALID_ID, NOT_FOUND, LINT_FAILED"),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).nullable(),
    }),
  })
  .register(apiSchemas, { id: "Error" });
