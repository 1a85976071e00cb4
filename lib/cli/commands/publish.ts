// `reef publish <id> [--version v]`: lint the config, then make it the running version.
// pause.ts and draft.ts reuse `statusCommand`.
import type { Command } from "commander";
import type { DesiredStatus } from "../../model";
import { withPipelines, type WriteResult } from "../../pipelines";
import { describeWrite, parseIntArg, parseIdArg, parseVersionArg } from "../present";
import { color, printJson } from "../output";

export interface WriteCliOpts {
  version?: string;
  force?: boolean;
  revision?: number;
  dryRun?: boolean;
  json?: boolean;
}

/** The options every definition write takes: --revision (compare-and-set), --dry-run, --json. */
export function writeOptions(cmd: Command): Command {
  return cmd
    .option("--revision <n>", "only if the definition is still at this KV revision (else fail)", parseIntArg)
    .option("--dry-run", "show what would change; write nothing")
    .option("--json", "machine-readable output");
}

export function printWrite(r: WriteResult, json?: boolean): void {
  if (json) return printJson(r);
  const mark = r.action === "unchanged" ? color("gray", "=") : color("green", r.dryRun ? "~" : "✓");
  process.stdout.write(`${mark} ${describeWrite(r)}\n`);
  for (const w of r.lint?.issues ?? []) {
    process.stdout.write(`    ${color("yellow", w.level)} ${w.line}:${w.column} ${w.message}\n`);
  }
}

export function statusCommand(program: Command, status: DesiredStatus, description: string): void {
  // `reef publish <id> --version v`: without positional options the root's -V/--version would
  // swallow the subcommand's --version. Root options still work before the subcommand.
  program.enablePositionalOptions();
  const cmd = program
    .command(status === "published" ? "publish" : status === "paused" ? "pause" : "draft")
    .description(description)
    .argument("<id>", "pipeline id", parseIdArg)
    .option("--version <v>", "switch to this existing version (default: the current one)", parseVersionArg);
  if (status === "published") cmd.option("--force", "publish even when lint finds errors");
  writeOptions(cmd).action(async (id: string, opts: WriteCliOpts) => {
    const r = await withPipelines((p) =>
      p.setStatus(id, status, {
        version: opts.version,
        force: opts.force,
        ifRevision: opts.revision,
        dryRun: opts.dryRun,
      }),
    );
    printWrite(r, opts.json);
  });
}

export function register(program: Command): void {
  statusCommand(
    program,
    "published",
    "publish a pipeline (optionally another version): lints the config first and refuses on errors unless --force",
  );
}
