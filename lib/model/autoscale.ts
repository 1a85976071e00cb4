// Autoscaling (CONTRACT.md §1 and §6): the definition's optional `autoscale` block, and the
// `replicas` a status carries when the control plane decides how many run.
import { z } from "zod";
import { DURATION_FORM, durationMs } from "./duration";

const COUNT_RULE = "must be an integer >= 0";

/**
 * `{ min, max, targetPending, cooldown }`. The cap (max ≤ REEF_MAX_REPLICAS) is checked with the
 * definition, which knows the setting.
 */
export const autoscaleSchema = z
  .object({
    min: z
      .number({ error: `min ${COUNT_RULE}` })
      .int({ error: `min ${COUNT_RULE}` })
      .min(0, { error: `min ${COUNT_RULE}` }),
    max: z
      .number({ error: `max ${COUNT_RULE}` })
      .int({ error: `max ${COUNT_RULE}` })
      .min(0, { error: `max ${COUNT_RULE}` }),
    targetPending: z
      .number({ error: "targetPending must be a number > 0 (pending messages per replica)" })
      .positive({ error: "targetPending must be a number > 0 (pending messages per replica)" }),
    // A JSON number is seconds, like a plain number in the text form.
    cooldown: z
      .union([z.string(), z.number().nonnegative().transform(String)], {
        error: `cooldown must be ${DURATION_FORM}`,
      })
      .refine((text) => durationMs(text) !== undefined, { error: `cooldown must be ${DURATION_FORM}` }),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.min > a.max)
      ctx.addIssue({ code: "custom", path: ["min"], message: `min ${a.min} is above max ${a.max}` });
  });

export type Autoscale = z.infer<typeof autoscaleSchema>;

/** The cooldown of a valid block, in milliseconds. */
export function cooldownMs(autoscale: Autoscale): number {
  return durationMs(autoscale.cooldown) ?? 0;
}

/** Status `replicas`: how many the control plane wants, how many run, and why. */
export const replicasStatusSchema = z
  .object({
    desired: z.number().int().nonnegative(),
    current: z.number().int().nonnegative(),
    reason: z.string(),
    /** When `desired` last changed (ISO): the cooldown counts from it. */
    changedAt: z.string(),
    /** The block the decision used, so the bridge can decide again from status and heartbeats alone. */
    autoscale: autoscaleSchema.optional(),
  })
  .passthrough();

export type ReplicasStatus = z.infer<typeof replicasStatusSchema>;

/** The scaler's decision as converge writes it (status adds `current`). */
export interface ReplicasDecision {
  desired: number;
  reason: string;
  changedAt: string;
  autoscale: Autoscale;
}
