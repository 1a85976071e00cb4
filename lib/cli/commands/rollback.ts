// `reef rollback <id> [--to v]`: point the pipeline at an earlier version (default: the previous one).
import type { Command } from "commander";
import { withPipelines } from "../../pipelines";
import { parseIdArg, parseVersionArg } from "../present";
import { printWrite, writeOptions, type WriteCliOpts } from "./publish";

export function register(program: Command): void {
  const cmd = program
    .command("rollback")
    .description(
      "switch a pipeline back to an earlier version (default: the one before the current); status is kept",
    )
    .argument("<id>", "pipeline id", parseIdArg)
    .option("--to <v>", "the version to roll back to", parseVersionArg)
    .option("--force", "publish even when lint finds errors");
  writeOptions(cmd).action(async (id: string, opts: WriteCliOpts & { to?: string }) => {
    const r = await withPipelines((p) =>
      p.rollback(id, { to: opts.to, force: opts.force, ifRevision: opts.revision, dryRun: opts.dryRun }),
    );
    printWrite(r, opts.json);
  });
}
