// `reef delete <id>`: delete the definition (executions are then removed by the control plane).
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { withPipelines } from "../../pipelines";
import { parseIdArg, parseIntArg } from "../present";
import { UsageError } from "../output";
import { printWrite } from "./publish";

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function register(program: Command): void {
  program
    .command("delete")
    .alias("rm")
    .description("delete a pipeline (asks first unless --yes); its config versions are kept unless --purge")
    .argument("<id>", "pipeline id", parseIdArg)
    .option("-y, --yes", "do not ask")
    .option("--purge", "also drop the definition's history and every config version")
    .option("--revision <n>", "only if the definition is still at this KV revision (else fail)", parseIntArg)
    .option("--json", "machine-readable output")
    .action(
      async (id: string, opts: { yes?: boolean; purge?: boolean; revision?: number; json?: boolean }) => {
        await withPipelines(async (pipelines) => {
          if (!opts.yes) {
            if (!process.stdin.isTTY) {
              throw new UsageError(
                `refusing to delete ${id} without confirmation: stdin is not a terminal; pass --yes`,
              );
            }
            const v = await pipelines.get(id);
            const what = `${id} (${v.definition?.status ?? "invalid"}, version ${v.definition?.version ?? "-"})`;
            if (
              !(await confirm(`delete pipeline ${what}${opts.purge ? " and all its versions" : ""}? [y/N] `))
            ) {
              process.stderr.write("not deleted\n");
              process.exitCode = 1;
              return;
            }
          }
          const r = await pipelines.delete(id, { purge: opts.purge, ifRevision: opts.revision });
          printWrite(r, opts.json);
        });
      },
    );
}
