// `reef run -c config.yaml`: runs a Benthos config with the built-in engine in the foreground,
// like `benthos -c`. SIGINT/SIGTERM stop it gracefully (in-flight messages drain within shutdown_timeout).
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { loadConfig, startStream } from "../../engine";
import { UsageError } from "../output";

export function register(program: Command): void {
  program
    .command("run")
    .description("run a Benthos / Redpanda Connect config with the built-in engine (foreground)")
    .option("-c, --config <path>", "the config file")
    .argument("[config]", "the config file (alternative to -c)")
    .option("--log-level <level>", "override logger.level (ERROR, WARN, INFO, DEBUG, TRACE)")
    .action(async (positional: string | undefined, opts: { config?: string; logLevel?: string }) => {
      const path = opts.config ?? positional;
      if (!path) throw new UsageError("a config file is required: reef run -c config.yaml");
      const config = loadConfig(readFileSync(path, "utf8"), { path });
      if (opts.logLevel) config.logger.level = opts.logLevel.toUpperCase();
      for (const w of config.warnings)
        process.stderr.write(`${path}:${w.line}:${w.column}: warning: ${w.message}\n`);
      const stream = await startStream(config);
      let signals = 0;
      const onSignal = () => {
        // A second signal stops at once, as Benthos does.
        if (++signals > 1) process.exit(1);
        void stream.stop();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        await stream.done;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
