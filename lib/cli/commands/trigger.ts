// `reef trigger <id>`: starts one run of a job pipeline (CONTRACT.md §8) through the `trigger`
// function; with --wait, waits for the run's result (sent to a reply subject when the run ends).
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { DURATION_FORM, durationMs, ReefError, type RunResult } from "../../model";
import { color, printJson, UsageError } from "../output";
import { withPipelines } from "../../pipelines";
import { cliInvoker } from "./reconcile";

interface TriggerOpts {
  payload?: string;
  stdin?: boolean;
  wait?: boolean;
  timeout: string;
  inProcess?: boolean;
  endpoint?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("trigger <id>")
    .description("start one run of a job pipeline (mode job); --wait prints its result when it ends")
    .option("--payload <text>", "the run's stdin")
    .option("--stdin", "read the run's stdin from this command's stdin")
    .option("--wait", "wait for the run to end; exit 1 when it failed or was skipped")
    .option("--timeout <duration>", "how long --wait waits (like 90s, 5m)", "10m")
    .option("--in-process", "start the run in this process instead of invoking the function")
    .option("--endpoint <url>", "Lambda API endpoint (default REEF_LAMBDA_ENDPOINT, else the local stack)")
    .option("--json", "machine-readable output")
    .action(async (id: string, opts: TriggerOpts) => {
      const waitMs = durationMs(opts.timeout);
      if (waitMs === undefined) throw new UsageError(`--timeout must be ${DURATION_FORM}`);
      const payload = opts.stdin
        ? readFileSync(0)
        : opts.payload !== undefined
          ? Buffer.from(opts.payload)
          : undefined;
      const invoker = cliInvoker(opts);
      try {
        await withPipelines(async (_pipelines, store) => {
          const reply = opts.wait ? await store.replySubject(waitMs) : undefined;
          const answer = await invoker.trigger!({
            id,
            trigger: "manual",
            ...(payload?.length ? { payload: payload.toString("base64") } : {}),
            ...(reply ? { replyTo: reply.subject } : {}),
          });
          let result: RunResult = {
            run: answer.run.run,
            state: answer.run.state,
            exitCode: answer.run.exitCode,
            error: answer.run.error,
          };
          if (reply && answer.run.state === "running") {
            const data = await reply.wait();
            if (!data) throw new ReefError("TIMEOUT", `run ${result.run} did not end within ${opts.timeout}`);
            result = JSON.parse(new TextDecoder().decode(data)) as RunResult;
          } else reply?.cancel();
          if (opts.json) printJson(result);
          else {
            const state = result.state === "failed" ? color("red", result.state) : result.state;
            const why = result.error ? ` ${result.error.code}: ${result.error.message}` : "";
            process.stdout.write(`${id} run ${result.run} ${state}${why}\n`);
          }
          if (opts.wait && result.state !== "succeeded") process.exitCode = 1;
          if (!opts.wait && result.state === "skipped") process.exitCode = 1;
        });
      } finally {
        await invoker.close(); // in process: its context (NATS connection, executor) too
      }
    });
}
