// A lint finding: what `reef lint`, publish (LINT_FAILED details) and the API report, whichever
// linter found it (the built-in engine's or a Benthos binary's).
import { z } from "zod";

export const lintIssueSchema = z.object({
  /** YAML path of the component, e.g. `pipeline.processors.0`; "" when unknown. */
  path: z.string(),
  line: z.number(),
  column: z.number(),
  message: z.string(),
  level: z.enum(["error", "warning"]),
});

export type LintIssue = z.infer<typeof lintIssueSchema>;
