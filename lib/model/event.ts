// The change event the bridge sends to `converge` (CONTRACT.md §2).
import { z } from "zod";
import { InvalidEventError } from "./errors";

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
