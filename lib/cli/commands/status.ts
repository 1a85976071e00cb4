// `reef status <id> [--watch]`: the observed status; --watch follows the status KV live.
import type { Command } from "commander";
import { withPipelines } from "../../pipelines";
import { parseIdArg, statusLine } from "../present";
import { printJson } from "../output";

export function register(program: Command): void {
  program
    .command("status")
    .description("show the observed status of a pipeline; --watch follows changes until Ctrl-C")
    .argument("<id>", "pipeline id", parseIdArg)
    .option("-w, --watch", "follow changes live (one line, or one JSON object with --json, per change)")
    .option("--json", "machine-readable output")
    .action(async (id: string, opts: { watch?: boolean; json?: boolean }) => {
      await withPipelines(async (pipelines) => {
        if (!opts.watch) {
          const s = await pipelines.status(id);
          if (opts.json) printJson(s);
          else process.stdout.write(statusLine(s, id) + "\n");
          return;
        }
        if (!opts.json && !(await pipelines.store.getStatus(id))) {
          process.stderr.write(`no status for ${id} yet; waiting for the control plane (Ctrl-C stops)\n`);
        }
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        try {
          for await (const s of pipelines.watchStatus(id, abort.signal)) {
            process.stdout.write((opts.json ? JSON.stringify(s) : statusLine(s, id)) + "\n");
          }
        } finally {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
        }
      });
    });
}
