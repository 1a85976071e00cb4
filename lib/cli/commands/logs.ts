// `reef logs <id> [-f] [--replica n] [--since 10m]`: a pipeline's log lines from the PIPELINE_LOGS
// stream, where every execution publishes them whatever its executor (ECS included). When the
// stream holds none, the process and docker executors' local logs are the fallback.
import { settings, variableOf } from "../../config";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { createExecutor } from "../../executors";
import { withPipelines } from "../../pipelines";
import { parseIdArg, parseIntArg } from "../present";
import { parseSecondsOrDuration, type Store, type StoredLogLine } from "../../store";
import { UsageError } from "../output";

interface Opts {
  follow?: boolean;
  tail?: number;
  replica?: number;
  since?: number;
  json?: boolean;
}

function parseSince(value: string): number {
  try {
    return parseSecondsOrDuration(value, "--since");
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function register(program: Command): void {
  program
    .command("logs")
    .description("print a pipeline's log lines (every executor, from the PIPELINE_LOGS stream); -f follows")
    .argument("<id>", "pipeline id", parseIdArg)
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .option("--replica <n>", "only this replica (default: every replica)", parseIntArg)
    .option("--since <duration>", "only lines of the last duration (10m, 1h, 90s)", parseSince)
    .option("--tail <n>", "only the last n lines (then new ones with -f)", parseIntArg)
    .option("--json", "one JSON object per line: {time, level, message, replica}")
    .action(async (id: string, opts: Opts) => {
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      try {
        const found = await withPipelines((pipelines, store) => printStored(store, id, opts, abort.signal));
        if (!found && !opts.follow) await printLocal(id, opts, abort.signal);
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
    });
}

function print(line: StoredLogLine, json?: boolean): void {
  const { time, level, message, replica } = line;
  process.stdout.write(
    json ? JSON.stringify({ time, level, message, replica }) + "\n" : `${time} [${replica}] ${message}\n`,
  );
}

/** Prints the stream's lines; false when it holds none for the pipeline. */
async function printStored(store: Store, id: string, opts: Opts, signal: AbortSignal): Promise<boolean> {
  const query = {
    pipeline: id,
    replica: opts.replica,
    since: opts.since !== undefined ? new Date(Date.now() - opts.since) : undefined,
  };
  let found = false;
  let lastSeq = 0;
  if (opts.tail !== undefined) {
    // The last n lines, then (with -f) new ones from after them.
    const kept = await store.tailLogs(query, opts.tail);
    for (const line of kept) print(line, opts.json);
    lastSeq = kept.at(-1)?.seq ?? 0;
    found = kept.length > 0;
    if (!opts.follow) return found;
  }
  for await (const line of store.readLogs({
    ...query,
    ...(lastSeq ? { fromSeq: lastSeq + 1 } : {}),
    follow: opts.follow,
    signal,
  })) {
    found = true;
    print(line, opts.json);
  }
  return found;
}

/** The fallback: an execution's local log (process and docker executors). */
async function printLocal(id: string, opts: Opts, signal: AbortSignal): Promise<void> {
  const observed = await withPipelines((p) => p.status(id).catch(() => null));
  // the executor that ran it, unless REEF_EXECUTOR says otherwise
  const kind = settings().executor ?? observed?.executor;
  const executor = await createExecutor(
    kind ? { ...process.env, [variableOf("executor")]: kind } : process.env,
  );
  try {
    if (!executor.logs) {
      throw new UsageError(
        `no log lines of ${id} in the logs stream (and the ${executor.kind} executor keeps none locally)`,
      );
    }
    const executions = (await executor.list(id)).sort((a, b) => a.replica - b.replica);
    const chosen =
      opts.replica !== undefined
        ? executions.find((e) => e.replica === opts.replica)
        : (executions.find((e) => e.state === "running") ?? executions[0]);
    if (!chosen) {
      throw new Error(
        `pipeline ${id} has no log lines in the logs stream and no execution${opts.replica !== undefined ? ` for replica ${opts.replica}` : ""} on the ${executor.kind} executor`,
      );
    }
    process.stderr.write(
      `(no lines of ${id} in the logs stream: the ${executor.kind} executor's local log)\n`,
    );
    for await (const line of executor.logs(chosen, { tail: opts.tail, signal })) {
      process.stdout.write(opts.json ? JSON.stringify({ execution: chosen.id, line }) + "\n" : line + "\n");
    }
  } finally {
    await executor.close?.().catch(() => undefined);
  }
}
