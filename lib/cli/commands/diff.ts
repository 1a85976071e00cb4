// `reef diff <id> <v1> [v2]`: unified diff of two versions' configs (v2: the current version).
import type { Command } from "commander";
import { withPipelines } from "../../pipelines";
import { parseIdArg, parseVersionArg } from "../present";
import { color, printJson } from "../output";

export function register(program: Command): void {
  program
    .command("diff")
    .description("unified diff between two config versions (default second version: the current one)")
    .argument("<id>", "pipeline id", parseIdArg)
    .argument("<v1>", "from version", parseVersionArg)
    .argument("[v2]", "to version (default: current)", parseVersionArg)
    .option("--json", "machine-readable output")
    .action(async (id: string, v1: string, v2: string | undefined, opts: { json?: boolean }) => {
      const d = await withPipelines((p) => p.diff(id, v1, v2));
      if (opts.json) return printJson(d);
      if (d.identical) {
        process.stdout.write(`${id}: versions ${d.from} and ${d.to} are identical\n`);
        return;
      }
      const lines = d.patch.split("\n").filter((l) => !l.startsWith("====="));
      for (const l of lines) {
        const styled =
          l.startsWith("+++") || l.startsWith("---")
            ? color("bold", l)
            : l.startsWith("+")
              ? color("green", l)
              : l.startsWith("-")
                ? color("red", l)
                : l.startsWith("@@")
                  ? color("cyan", l)
                  : l;
        process.stdout.write(styled + "\n");
      }
    });
}
