// `reef reconcile`: converge every pipeline now and remove orphaned executions.
import type { Command } from "commander";
import { bridgeConfigFromEnv } from "../../bridge";
import { createInvoker } from "../../invoke";
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
      const env = { ...process.env };
      if (opts.inProcess) env.REEF_BRIDGE_INVOKER = "in-process";
      else env.REEF_LAMBDA_ENDPOINT = opts.endpoint || env.REEF_LAMBDA_ENDPOINT || defaultEndpoint(env);
      const invoker = createInvoker(bridgeConfigFromEnv(env), env);
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
        await invoker.close();
        if (opts.inProcess) process.exit(process.exitCode ?? 0); // cached NATS connection of lib/converge
      }
    });
}

/** With AWS credentials in the environment: AWS; else the local stack's serverless-offline. */
export function defaultEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  if (env.AWS_PROFILE || env.AWS_ACCESS_KEY_ID) return undefined;
  return `http://127.0.0.1:${env.REEF_LAMBDA_PORT || 3002}`;
}
