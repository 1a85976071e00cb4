// Observed status: the JSON value of a `pipeline-status` KV entry (CONTRACT.md §1).
import { z } from "zod";
import { replicasStatusSchema } from "./autoscale";
import { healthSchema } from "./health";
import { MODES, runRecordSchema, scheduleStatusSchema } from "./job";

/** `idle`: a job with no active run whose last run did not fail (CONTRACT.md §8). */
export const PHASES = ["pending", "running", "stopped", "absent", "failed", "idle"] as const;
export type Phase = (typeof PHASES)[number];

export const EXECUTOR_KINDS = ["process", "docker", "ecs", "host"] as const;
export type ExecutorKind = (typeof EXECUTOR_KINDS)[number];

export const statusSchema = z
  .object({
    id: z.string(),
    phase: z.enum(PHASES),
    desired: z.string().nullable(),
    version: z.string().nullable(),
    revision: z.number().int(),
    executor: z.string(),
    executions: z.array(z.object({ id: z.string(), state: z.string(), version: z.string() }).passthrough()),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    /** Whether the running executions move data (CONTRACT.md §6); absent in statuses written before telemetry. */
    health: healthSchema.optional(),
    /** `job` for job pipelines (absent: a stream). */
    mode: z.enum(MODES).optional(),
    /** A job's last runs, newest first (CONTRACT.md §8). */
    runs: z.array(runRecordSchema).optional(),
    /** A scheduled job's last handled fire time. */
    schedule: scheduleStatusSchema.optional(),
    /** With `autoscale`: how many replicas the control plane wants and why (CONTRACT.md §6). */
    replicas: replicasStatusSchema.optional(),
    updatedAt: z.string(),
  })
  .passthrough();

export type PipelineStatus = z.infer<typeof statusSchema>;
