// Job pipelines (CONTRACT.md §8): the definition's `mode`, `trigger`, `concurrency`, `timeout` and
// `retries`, and the run records a job's status carries.
import cronParser from "cron-parser";
import { z } from "zod";
import { DURATION_FORM, durationMs } from "./duration";

export const MODES = ["stream", "job"] as const;
export type Mode = (typeof MODES)[number];

export const CONCURRENCY_POLICIES = ["allow", "forbid", "replace"] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

/** The most retries a definition may ask for: every count users control has a bound. */
export const MAX_RETRIES = 10;

/** A NATS subject to subscribe to: tokens of printable characters, `*` and a final `>` allowed. */
const SUBJECT = /^(?:[^\s.*>]+|\*)(?:\.(?:[^\s.*>]+|\*))*(?:\.>)?$|^>$/;

/** The next time strictly after `after` a 5-field cron expression (UTC) fires. */
export function nextCronTime(expression: string, after: Date): Date {
  return cronParser.parseExpression(expression, { currentDate: after, utc: true }).next().toDate();
}

/** Why `expression` is not a 5-field cron expression; undefined when it is one. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `schedule must be a cron expression of 5 fields (minute hour day-of-month month day-of-week, UTC), got ${fields.length}`;
  }
  try {
    cronParser.parseExpression(expression, { utc: true });
    return undefined;
  } catch (err) {
    return `schedule ${JSON.stringify(expression)} is not a cron expression: ${(err as Error).message}`;
  }
}

export const triggerSchema = z
  .object({
    subject: z
      .string({ error: "trigger.subject must be a string" })
      .regex(SUBJECT, { error: "trigger.subject must be a NATS subject (like orders.created)" })
      .optional(),
    schedule: z
      .string({ error: "trigger.schedule must be a string" })
      .superRefine((text, ctx) => {
        const problem = cronProblem(text);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
  })
  .strict();

export type JobTrigger = z.infer<typeof triggerSchema>;

/** The job fields of a definition; checked with the definition (lib/model/definition.ts). */
export const jobFields = {
  mode: z.enum(MODES, { error: `mode must be one of ${MODES.join(", ")}` }).optional(),
  trigger: triggerSchema.optional(),
  concurrency: z
    .enum(CONCURRENCY_POLICIES, { error: `concurrency must be one of ${CONCURRENCY_POLICIES.join(", ")}` })
    .optional(),
  // A JSON number is seconds, like a plain number in the text form.
  timeout: z
    .union([z.string(), z.number().positive().transform(String)], {
      error: `timeout must be ${DURATION_FORM}`,
    })
    .refine((text) => (durationMs(text) ?? 0) > 0, { error: `timeout must be ${DURATION_FORM}, above 0` })
    .optional(),
  retries: z
    .number({ error: `retries must be an integer from 0 to ${MAX_RETRIES}` })
    .int({ error: `retries must be an integer from 0 to ${MAX_RETRIES}` })
    .min(0, { error: `retries must be an integer from 0 to ${MAX_RETRIES}` })
    .max(MAX_RETRIES, { error: `retries must be an integer from 0 to ${MAX_RETRIES}` })
    .optional(),
};

/** The job fields as written in a definition or a manifest. */
export interface JobFields {
  mode?: Mode;
  trigger?: JobTrigger;
  concurrency?: ConcurrencyPolicy;
  timeout?: string;
  retries?: number;
}

/** The job fields that only make sense with `mode: "job"`. */
export const JOB_ONLY_FIELDS = ["trigger", "concurrency", "timeout", "retries"] as const;

/** What a job's definition asks of its runs, resolved with the defaults. */
export interface JobSettings {
  trigger: JobTrigger;
  concurrency: ConcurrencyPolicy;
  /** Per run (and per attempt); undefined: no limit. */
  timeoutMs?: number;
  retries: number;
}

export function jobSettingsOf(def: {
  mode?: Mode;
  trigger?: JobTrigger;
  concurrency?: ConcurrencyPolicy;
  timeout?: string;
  retries?: number;
}): JobSettings | undefined {
  if (def.mode !== "job") return undefined;
  return {
    trigger: def.trigger ?? {},
    concurrency: def.concurrency ?? "allow",
    ...(def.timeout !== undefined ? { timeoutMs: durationMs(def.timeout) } : {}),
    retries: def.retries ?? 0,
  };
}

// ---- runs --------------------------------------------------------------------------------------

export const RUN_TRIGGERS = ["subject", "schedule", "manual", "retry"] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const RUN_STATES = ["running", "succeeded", "failed", "skipped"] as const;
export type RunState = (typeof RUN_STATES)[number];

/** How many runs a job's status keeps, newest first. */
export const RUNS_KEPT = 10;

const statusErrorSchema = z.object({ code: z.string(), message: z.string() });

/** One run as a job's status shows it (CONTRACT.md §8). */
export const runRecordSchema = z
  .object({
    run: z.string(),
    trigger: z.enum(RUN_TRIGGERS),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    state: z.enum(RUN_STATES),
    exitCode: z.number().int().nullable(),
    error: statusErrorSchema.nullable(),
    /** 1 for the first attempt; a retry is a new run with the next attempt and `retryOf`. */
    attempt: z.number().int().positive().optional(),
    /** The run this one retries. */
    retryOf: z.string().optional(),
    /** When a failed run's retry becomes due (ISO); removed once the retry started. */
    retryAt: z.string().optional(),
    /** The version the run ran. */
    version: z.string().optional(),
    /** The trigger's payload (base64), kept only while a retry may still need it. */
    payload: z.string().optional(),
    /** Where the run's result goes when it ends (a subject trigger's reply subject). */
    replyTo: z.string().optional(),
  })
  .passthrough();

export type RunRecord = z.infer<typeof runRecordSchema>;

/** What a reply subject gets when its run ends (or is skipped). */
export interface RunResult {
  run: string;
  state: RunState;
  exitCode: number | null;
  error: { code: string; message: string } | null;
}

export function runResultOf(record: RunRecord): RunResult {
  return { run: record.run, state: record.state, exitCode: record.exitCode, error: record.error };
}

/** The schedule's bookkeeping in a job's status: the last fire time reef handled. */
export const scheduleStatusSchema = z.object({ expression: z.string(), checkedAt: z.string() }).passthrough();
export type ScheduleStatus = z.infer<typeof scheduleStatusSchema>;
