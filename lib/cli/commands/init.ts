// `reef init <dir>`: scaffold a pipeline folder (manifest + sample config with tests).
import type { Command } from "commander";
import { scaffold } from "../scaffold";
import { parseIdArg } from "../present";
import { color, printJson } from "../output";

export function register(program: Command): void {
  program
    .command("init")
    .description(
      "create a pipeline folder: pipeline.yaml (manifest) and config.yaml (a working sample with tests)",
    )
    .argument("<dir>", "folder to create (its name is the default pipeline id)")
    .option("--id <id>", "pipeline id (default: the folder name)", parseIdArg)
    .option("--force", "overwrite existing files")
    .option("--json", "machine-readable output")
    .action(async (dir: string, opts: { id?: string; force?: boolean; json?: boolean }) => {
      const result = await scaffold(dir, { id: opts.id, force: opts.force });
      if (opts.json) return printJson(result);
      for (const f of result.files) process.stdout.write(`${color("green", "created")} ${f}\n`);
      process.stdout.write(`\nnext: reef apply -f ${dir}    then: reef publish ${result.id}\n`);
    });
}
