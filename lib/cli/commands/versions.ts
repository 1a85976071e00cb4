// `reef versions <id>`: the stored config versions of a pipeline.
import type { Command } from "commander";
import { withPipelines } from "../../pipelines";
import { age, parseIdArg, table } from "../present";
import { color, printJson } from "../output";

export function register(program: Command): void {
  program
    .command("versions")
    .description("list a pipeline's config versions (immutable); * marks the current one")
    .argument("<id>", "pipeline id", parseIdArg)
    .option("--json", "machine-readable output")
    .action(async (id: string, opts: { json?: boolean }) => {
      const v = await withPipelines((p) => p.versions(id));
      if (opts.json) return printJson(v);
      const rows = v.versions.map((x) => [
        x.version === v.current ? color("green", "*") : " ",
        x.version,
        x.digest.slice(0, 12),
        `${x.size} B`,
        x.createdAt ? `${age(x.createdAt)} ago` : "unknown",
      ]);
      process.stdout.write(table(["", "VERSION", "DIGEST", "SIZE", "CREATED"], rows));
    });
}
