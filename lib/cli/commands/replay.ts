// `reef replay`: runs recorded changes (or a pipeline's KV history) through converge again.
// --dry-run (default) prints the plan for each change against the executions now and then, touching
// nothing; --live invokes the real converge function; --export writes Lambda event files.
import type { Command } from "commander";
import { createExecutor, type Executor } from "../../executors";
import {
  createLiveInvoker,
  describeTarget,
  dryRunStep,
  dryRunText,
  exportStep,
  liveStep,
  liveTargetFrom,
  liveText,
  parseSeqRange,
  ReplayError,
  retentionNote,
  runReplay,
  selectEvents,
  selectHistory,
  withStore,
  type ReplayItem,
  type ReplayProgress,
} from "../../replay";
import { heartbeatIntervalFromEnv, type Store } from "../../store";
import { color, printJson, UsageError } from "../output";
import { addEventFilterOptions, eventFilterFrom, type EventFilterOptions } from "./events";

interface ReplayOptions extends EventFilterOptions {
  seq?: string;
  fromHistory?: string;
  dryRun?: boolean;
  live?: boolean;
  export?: string;
  stage?: string;
  endpoint?: string;
  inProcess?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  addEventFilterOptions(
    program
      .command("replay")
      .description(
        "run recorded changes through converge again: --dry-run (default) plans against now and then, --live invokes converge, --export writes Lambda event files",
      ),
  )
    .option("--seq <range>", "recorded events by stream sequence: a..b, a.., ..b or a")
    .option(
      "--from-history <id>",
      "every revision the KV still holds for this pipeline, instead of recorded events",
    )
    .option("--dry-run", "print what converge would do; touch nothing (default)")
    .option("--live", "invoke the real converge function for each change")
    .option(
      "--export <dir>",
      "write each change as a Lambda event file for `serverless invoke local -p <file>`",
    )
    .option("--stage <stage>", "with --live: the deployed stage in AWS (reef-<stage>-converge)")
    .option(
      "--endpoint <url>",
      "with --live: the Lambda API endpoint (default REEF_LAMBDA_ENDPOINT or http://127.0.0.1:3002)",
    )
    .option("--in-process", "with --live: run converge in this process instead of invoking the function")
    .option("--json", "machine-readable output")
    .action(async (opts: ReplayOptions) => {
      const modes = [opts.dryRun, opts.live, opts.export !== undefined].filter(Boolean).length;
      if (modes > 1) throw new UsageError("choose one of --dry-run, --live and --export");
      if (!opts.live && (opts.stage || opts.endpoint || opts.inProcess)) {
        throw new UsageError("--stage, --endpoint and --in-process only apply to --live");
      }
      if (opts.fromHistory && (opts.seq || opts.pipeline || opts.since || opts.until || opts.failed)) {
        throw new UsageError("--from-history selects KV revisions: it takes no event filters");
      }
      let seqRange: { fromSeq?: number; toSeq?: number } = {};
      try {
        if (opts.seq) seqRange = parseSeqRange(opts.seq);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const filter = { ...eventFilterFrom(opts), ...seqRange };
      await withStore(async (store) => {
        const items = opts.fromHistory
          ? await selectHistory(store, opts.fromHistory)
          : await selectEvents(store, filter);
        const removed = opts.fromHistory ? null : await retentionNote(store, filter);
        if (removed) process.stderr.write(color("yellow", `note: ${removed}`) + "\n");
        if (items.length === 0) {
          if (opts.json) printJson({ mode: mode(opts), total: 0, completed: 0, aborted: false, steps: [] });
          else process.stdout.write(color("dim", "nothing to replay: no recorded events match") + "\n");
          return;
        }
        await replay(store, items, opts);
      });
    });
}

function mode(opts: ReplayOptions): "dry-run" | "live" | "export" {
  return opts.live ? "live" : opts.export !== undefined ? "export" : "dry-run";
}

async function replay(store: Store, items: ReplayItem[], opts: ReplayOptions): Promise<void> {
  // Ctrl-C stops between two steps; a second Ctrl-C exits at once.
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
    process.stderr.write("\nstopping after the current step (Ctrl-C again to quit now)…\n");
  };
  process.on("SIGINT", onSigint);
  let executor: Executor | undefined;
  const getExecutor = async () => (executor ??= await createExecutor(process.env));
  const progress = (p: ReplayProgress) => {
    if (p.total < 2) return;
    const line = `replay ${p.done}/${p.total} (${p.item.pipeline} rev ${p.item.event.revision})`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}${p.done === p.total ? "\n" : ""}`);
    else process.stderr.write(line + "\n");
  };
  const emit = (text: string, failed = false) => {
    if (opts.json) return;
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    process.stdout.write((failed ? color("red", text) : text) + "\n\n");
  };

  const m = mode(opts);
  let failures = 0;
  try {
    let run;
    if (m === "dry-run") {
      const deps = {
        store,
        listNow: async (id: string) => (await getExecutor()).list(id),
        heartbeatIntervalMs: heartbeatIntervalFromEnv(process.env),
      };
      run = await runReplay(items, (i) => dryRunStep(deps, i), {
        signal: abort.signal,
        onStep: (s, p) => {
          emit(dryRunText(s), s.definition === null);
          progress(p);
        },
      });
    } else if (m === "live") {
      const target = liveTargetFrom(opts);
      if (!opts.json)
        process.stderr.write(`replaying ${items.length} change(s) live through ${describeTarget(target)}\n`);
      const invoker = createLiveInvoker(target, async () => ({ store, executor: await getExecutor() }));
      try {
        run = await runReplay(items, (i) => liveStep(invoker, i), {
          signal: abort.signal,
          onStep: (s, p) => {
            if (s.error) failures++;
            emit(liveText(s), s.error !== null);
            progress(p);
          },
        });
      } finally {
        await invoker.close();
      }
    } else {
      const dir = opts.export!;
      run = await runReplay(items, (i) => exportStep(dir, i), {
        signal: abort.signal,
        onStep: (f, p) => {
          if (!opts.json) process.stdout.write(`${f.path}\n`);
          progress(p);
        },
      });
      if (!opts.json && !run.aborted) {
        const first = run.steps[0];
        process.stdout.write(
          `\nreplay one through the Lambda handler: npx serverless invoke local -f converge -p ${first.path}\n` +
            `or under a debugger in this process: node --inspect-brk dist/reef.mjs replay --live --in-process --seq ${first.seq ?? "<seq>"}\n` +
            `(see lib/replay/README.md)\n`,
        );
      }
    }
    if (opts.json) {
      printJson({
        mode: m,
        total: run.total,
        completed: run.steps.length,
        aborted: run.aborted,
        steps: run.steps,
      });
    }
    if (run.aborted) {
      process.stderr.write(`stopped by Ctrl-C after ${run.steps.length} of ${run.total} change(s)\n`);
      process.exitCode = 130;
    } else if (failures > 0) {
      process.exitCode = 1;
    }
  } catch (err) {
    if (err instanceof ReplayError && err.code === "INVALID_SELECTION") throw new UsageError(err.message);
    throw err;
  } finally {
    process.off("SIGINT", onSigint);
    await executor?.close?.().catch(() => undefined);
  }
}
