// The change event the bridge sends to `converge` (CONTRACT.md §2).
import { z } from "zod";
import { ID_PATTERN } from "./definition";
import { ID_RULE, InvalidEventError } from "./errors";

export const OPERATIONS = ["PUT", "DEL", "PURGE"] as const;
export type Operation = (typeof OPERATIONS)[number];

export const changeEventSchema = z.object({
  key: z.string().min(1),
  operation: z.enum(OPERATIONS),
  revision: z.number().int().nonnegative(),
  timestamp: z.string(),
});

export type ChangeEvent = z.infer<typeof changeEventSchema>;

export function parseChangeEvent(input: unknown): ChangeEvent {
  const parsed = changeEventSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidEventError(`invalid change event: ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The `trigger` function's payload (CONTRACT.md §8): start one run of job `id`. The bridge sends it
 * for a message on the job's subject, `reef trigger` and the API for a manual run.
 */
export const triggerEventSchema = z
  .object({
    id: z.string().regex(ID_PATTERN, { error: ID_RULE }),
    trigger: z.enum(["subject", "schedule", "manual"]),
    /** The run's stdin, base64. */
    payload: z.base64().optional(),
    /** Gets the run's result `{ run, state, exitCode, error }` when it ends. */
    replyTo: z.string().min(1).optional(),
  })
  .strict();

export type TriggerEvent = z.infer<typeof triggerEventSchema>;

export function parseTriggerEvent(input: unknown): TriggerEvent {
  const parsed = triggerEventSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidEventError(`invalid trigger event: ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}
