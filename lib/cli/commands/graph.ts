// `reef graph <id|config>`: a pipeline (or a config file) as a Mermaid flowchart.
import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import { isValidId } from "../../model";
import { configToMermaid, withPipelines } from "../../pipelines";
import { parseVersionArg } from "../present";
import { printJson, UsageError } from "../output";

export function register(program: Command): void {
  program.enablePositionalOptions(); // so --version reaches this command (see publish.ts)
  program
    .command("graph")
    .description(
      "draw a pipeline as a Mermaid flowchart: input → processors (switch/branch/workflow fan-out) → outputs",
    )
    .argument("<id|config>", "a pipeline id, or a path to a config file")
    .option("--version <v>", "the version to draw (default: the current one)", parseVersionArg)
    .option("--json", "machine-readable output")
    .action(async (target: string, opts: { version?: string; json?: boolean }) => {
      const isFile = await stat(target).then(
        (s) => s.isFile(),
        () => false,
      );
      let mermaid: string;
      let source: string;
      if (isFile) {
        mermaid = configToMermaid(await readFile(target, "utf8"));
        source = target;
      } else if (isValidId(target)) {
        const g = await withPipelines((p) => p.graph(target, opts.version));
        ({ mermaid } = g);
        source = `${g.id}/${g.version}`;
      } else {
        throw new UsageError(`${target} is neither a file nor a pipeline id`);
      }
      if (opts.json) return printJson({ source, mermaid });
      process.stdout.write(mermaid);
    });
}
