// `reef logs <id> [-f]`: an execution's log lines, from the executor that runs it (process, docker).
import type { Command } from "commander";
import { createExecutor } from "../../executors";
import { withPipelines } from "../../pipelines";
import { parseIdArg, parseIntArg } from "../present";
import { UsageError } from "../output";

interface Opts {
  follow?: boolean;
  tail?: number;
  replica?: number;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("logs")
    .description("print the logs of a pipeline's execution (process and docker executors); -f follows")
    .argument("<id>", "pipeline id", parseIdArg)
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .option("--tail <n>", "only the last n lines", parseIntArg)
    .option("--replica <n>", "which replica (default: a running one, else the first)", parseIntArg)
    .option("--json", "one JSON object per line: {execution, line}")
    .action(async (id: string, opts: Opts) => {
      // Read logs through the executor that converged the pipeline (its kind is in the status).
      const observed = await withPipelines((p) => p.status(id).catch(() => null));
      const env = { ...process.env };
      if (!env.REEF_EXECUTOR && observed?.executor) env.REEF_EXECUTOR = observed.executor;
      const executor = await createExecutor(env);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      try {
        if (!executor.logs) {
          throw new UsageError(
            `the ${executor.kind} executor keeps no local logs (ECS: see the task's CloudWatch log stream)`,
          );
        }
        const executions = (await executor.list(id)).sort((a, b) => a.replica - b.replica);
        const chosen =
          opts.replica !== undefined
            ? executions.find((e) => e.replica === opts.replica)
            : (executions.find((e) => e.state === "running") ?? executions[0]);
        if (!chosen) {
          throw new Error(
            `pipeline ${id} has no execution${opts.replica !== undefined ? ` for replica ${opts.replica}` : ""} on the ${executor.kind} executor`,
          );
        }
        for await (const line of executor.logs(chosen, {
          follow: opts.follow,
          tail: opts.tail,
          signal: abort.signal,
        })) {
          process.stdout.write(
            opts.json ? JSON.stringify({ execution: chosen.id, line }) + "\n" : line + "\n",
          );
        }
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        await executor.close?.().catch(() => undefined);
      }
    });
}
