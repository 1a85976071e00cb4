// `reef reconcile`: converge every pipeline now and remove orphaned executions.
import { cliLambdaEndpoint } from "../../config";
import type { Command } from "commander";
import { bridgeConfigFromEnv } from "../../bridge";
import { createInvoker, type Invoker } from "../../invoke";
import { color, printJson } from "../output";

export function register(program: Command): void {
  program
    .command("reconcile")
    .description(
      "converge every pipeline now and remove orphaned executions (invokes the reconcile function; --in-process runs it here)",
    )
    .option("--in-process", "run reconcile in this process instead of invoking the function")
    .option(
      "--endpoint <url>",
      "Lambda API endpoint (default REEF_LAMBDA_ENDPOINT; else AWS when AWS credentials are set, else the local stack)",
    )
    .option("--json", "machine-readable output")
    .action(async (opts: { inProcess?: boolean; json?: boolean; endpoint?: string }) => {
      const invoker = cliInvoker(opts);
      try {
        const r = await invoker.reconcile();
        if (opts.json) return printJson(r);
        for (const c of r.results) {
          const acts = c.actions.length ? ` — ${c.actions.join("; ")}` : "";
          process.stdout.write(
            `${c.id.padEnd(24)} ${c.phase}${c.error ? ` ${color("red", c.error.code)}` : ""}${acts}\n`,
          );
        }
        for (const f of r.failures)
          process.stdout.write(
            `${f.id.padEnd(24)} ${color("red", "failed")} ${f.error.code}: ${f.error.message}\n`,
          );
        process.stdout.write(
          `${r.results.length} converged, ${r.orphans.length} orphan(s) removed${r.orphans.length ? `: ${r.orphans.join(", ")}` : ""}, ${r.failures.length} failure(s)\n`,
        );
        if (r.failures.length) process.exitCode = 1;
      } finally {
        await invoker.close(); // in process: its context (NATS connection, executor) too
      }
    });
}

/**
 * The invoker of `reef reconcile` / `reef trigger`: in this process (`--in-process`), else the
 * Lambda API at `--endpoint`, REEF_LAMBDA_ENDPOINT, AWS (with AWS credentials) or the local stack.
 */
export function cliInvoker(opts: { inProcess?: boolean; endpoint?: string }): Invoker {
  const config = bridgeConfigFromEnv(process.env);
  if (opts.inProcess) return createInvoker({ ...config, invoker: "in-process" });
  return createInvoker({
    ...config,
    invoker: "lambda",
    lambdaEndpoint: opts.endpoint || cliLambdaEndpoint(),
  });
}
