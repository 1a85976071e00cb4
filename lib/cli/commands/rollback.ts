// `reef rollback <id> [--to v]`: point the pipeline at an earlier version (default: the previous one).
import type { Command } from "commander";
import { withPipelines } from "../../pipelines";
import { parseIdArg, parseIntArg, parseVersionArg } from "../present";
import { printWrite, type WriteCliOpts } from "./publish";

export function register(program: Command): void {
  program
    .command("rollback")
    .description(
      "switch a pipeline back to an earlier version (default: the one before the current); status is kept",
    )
    .argument("<id>", "pipeline id", parseIdArg)
    .option("--to <v>", "the version to roll back to", parseVersionArg)
    .option("--force", "publish even when lint finds errors")
    .option("--revision <n>", "only if the definition is still at this KV revision (else fail)", parseIntArg)
    .option("--dry-run", "show what would change; write nothing")
    .option("--json", "machine-readable output")
    .action(async (id: string, opts: WriteCliOpts & { to?: string }) => {
      const r = await withPipelines((p) =>
        p.rollback(id, { to: opts.to, force: opts.force, ifRevision: opts.revision, dryRun: opts.dryRun }),
      );
      printWrite(r, opts.json);
    });
}
