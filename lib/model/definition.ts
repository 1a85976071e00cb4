// The pipeline definition: the JSON value of a `pipelines` KV entry (CONTRACT.md §1).
import { settingsFrom } from "../config/settings";
import { z } from "zod";
import { autoscaleSchema } from "./autoscale";
import { InvalidDefinitionError, ID_RULE } from "./errors";
import { JOB_ONLY_FIELDS, jobFields } from "./job";

export const ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const VERSION_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const VERSION_RULE = "a version is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'";

export const STATUSES = ["draft", "published", "paused"] as const;
export type DesiredStatus = (typeof STATUSES)[number];

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export function isValidVersion(version: string): boolean {
  return VERSION_PATTERN.test(version);
}

/**
 * The most replicas one definition may ask for: REEF_MAX_REPLICAS (default 32). A careless or
 * hostile `replicas: 1000000` must make the definition invalid, not start a million runners.
 */
export function maxReplicas(env: NodeJS.ProcessEnv = process.env): number {
  return settingsFrom(env).maxReplicas;
}

const REPLICAS_RULE = "replicas must be an integer >= 0";

/** `replicas`, wherever a definition is written or read: an integer from 0 to maxReplicas(). */
export const replicasSchema = z
  .number({ error: REPLICAS_RULE })
  .int({ error: REPLICAS_RULE })
  .min(0, { error: REPLICAS_RULE })
  .superRefine((replicas, ctx) => {
    const max = maxReplicas();
    if (replicas > max) {
      ctx.addIssue({ code: "custom", message: `replicas must be at most ${max} (REEF_MAX_REPLICAS)` });
    }
  });

export const definitionSchema = z
  .object({
    id: z.string({ error: "id is required and must be a string" }).regex(ID_PATTERN, { error: ID_RULE }),
    name: z.string().optional(),
    description: z.string().nullish(),
    status: z.enum(STATUSES, { error: `status must be one of ${STATUSES.join(", ")}` }),
    // Other clients may write a plain integer version; it means the same as its decimal string.
    version: z
      .union([z.string(), z.number().int().nonnegative().transform(String)], {
        error: "version must be a string",
      })
      .pipe(z.string().regex(VERSION_PATTERN, { error: VERSION_RULE }))
      .optional(),
    replicas: replicasSchema.default(1),
    labels: z.record(z.string(), z.string()).optional(),
    ...jobFields,
    /** With it, `replicas` is only the starting count (CONTRACT.md §6). */
    autoscale: autoscaleSchema.optional(),
  })
  // Unknown fields are kept (and ignored) so a read-modify-write never drops another client's data.
  .passthrough()
  .superRefine((def, ctx) => {
    if (def.status !== "draft" && def.version === undefined) {
      ctx.addIssue({ code: "custom", path: ["version"], message: `version is required when ${def.status}` });
    }
    if (def.mode !== "job") {
      for (const field of JOB_ONLY_FIELDS) {
        if (def[field] !== undefined) {
          ctx.addIssue({ code: "custom", path: [field], message: `${field} needs mode "job"` });
        }
      }
    }
    if (def.autoscale && def.mode === "job") {
      ctx.addIssue({
        code: "custom",
        path: ["autoscale"],
        message:
          'autoscale needs mode "stream": a job runs once per trigger (concurrency says how many at once), it has no replicas to scale',
      });
    }
    if (def.autoscale && def.autoscale.max > maxReplicas()) {
      ctx.addIssue({
        code: "custom",
        path: ["autoscale", "max"],
        message: `max must be at most ${maxReplicas()} (REEF_MAX_REPLICAS)`,
      });
    }
  });

export type PipelineDefinition = z.infer<typeof definitionSchema>;

/**
 * Decodes a KV value into a definition. Every problem becomes an InvalidDefinitionError whose
 * message names the field, so it can go straight into the pipeline's status.
 */
export function parseDefinition(key: string, value: Uint8Array | string): PipelineDefinition {
  const text = typeof value === "string" ? value : new TextDecoder().decode(value);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidDefinitionError(`definition of ${key} is not JSON: ${(err as Error).message}`, {
      field: null,
    });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InvalidDefinitionError(`definition of ${key} must be a JSON object`, { field: null });
  }
  const parsed = definitionSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join(".") || null;
    throw new InvalidDefinitionError(`definition of ${key}: ${field ? `${field}: ` : ""}${issue.message}`, {
      field,
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  const def = parsed.data;
  if (def.id !== key) {
    throw new InvalidDefinitionError(
      `definition of ${key}: id ${JSON.stringify(def.id)} does not match its key ${JSON.stringify(key)}`,
      { field: "id" },
    );
  }
  return def;
}

/** Encodes a definition as the KV value other clients read. */
export function encodeDefinition(def: PipelineDefinition): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(def));
}
