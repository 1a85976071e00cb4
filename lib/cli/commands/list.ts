// `reef list`: every pipeline, desired and observed side by side.
import type { Command } from "commander";
import { withPipelines } from "../../pipelines";
import { age, errorCell, executionsCell, healthCell, phaseCell, table } from "../present";
import { printJson } from "../output";

export function register(program: Command): void {
  program
    .command("list")
    .alias("ls")
    .description(
      "list pipelines: desired status and version next to the observed phase, executions and error",
    )
    .option("--json", "machine-readable output")
    .action(async (opts: { json?: boolean }) => {
      const views = await withPipelines((p) => p.list());
      if (opts.json) return printJson(views);
      if (!views.length) {
        process.stdout.write("no pipelines (create one: reef init <dir> && reef apply -f <dir>)\n");
        return;
      }
      const rows = views.map((v) => [
        v.id,
        v.definition?.status ?? "invalid",
        v.definition?.version ?? "-",
        phaseCell(v),
        healthCell(v),
        executionsCell(v),
        errorCell(v),
        age(v.updatedAt),
      ]);
      process.stdout.write(
        table(["ID", "STATUS", "VERSION", "PHASE", "HEALTH", "EXECUTIONS", "ERROR", "AGE"], rows),
      );
    });
}
