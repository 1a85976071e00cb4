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

/**
 * Why autoscaling cannot work with a config's input, or null when it can: the scaler follows the
 * JetStream consumer lag, so the input must be a `nats_jetstream` consumer the replicas share (a
 * `durable` or `queue` name). A `broker` works when one of its inputs is one. Pure: takes the parsed config.
 */
export function autoscaleNoEffect(config: Record<string, unknown>): string | null {
  const why = inputProblem(config.input);
  return why
    ? `${why}: autoscale has no effect (it follows the lag of a nats_jetstream input with a durable or queue, which replicas share)`
    : null;
}

function inputProblem(input: unknown): string | null {
  const fields = record(input);
  if (!fields) return "the config has no input";
  const type = Object.keys(fields).find((k) => k !== "label" && k !== "processors");
  if (!type) return "the config has no input";
  const conf = record(fields[type]) ?? {};
  const named = (key: string) => typeof conf[key] === "string" && conf[key] !== "";
  switch (type) {
    case "nats_jetstream":
      return named("durable") || named("queue")
        ? null
        : "input nats_jetstream without durable or queue gives every replica its own consumer (replicas cannot share its work)";
    case "nats":
      return named("queue")
        ? "input nats with queue shares its work but reports no JetStream consumer lag"
        : "input nats without queue delivers every message to every replica (replicas cannot share its work)";
    case "generate":
      return "input generate makes its own messages in every replica (replicas cannot share its work)";
    case "broker": {
      const inputs = Array.isArray(conf.inputs) ? conf.inputs : [];
      return inputs.some((i) => inputProblem(i) === null)
        ? null
        : "input broker has no nats_jetstream input with a durable or queue";
    }
    default:
      return `input ${type} reports no JetStream consumer lag`;
  }
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}
