// `reef down` (`npm run down`): stops the local stack, every local execution and the local nats-server.
import type { Command } from "commander";
import { down } from "../../local";
import { color, printJson } from "../output";

export function register(program: Command): void {
  program
    .command("down")
    .description(
      "stop the local stack: a running `reef up`, every local execution (stopped, not removed) and the local nats-server",
    )
    .option("--json", "machine-readable output")
    .action(async (opts: { json?: boolean }) => {
      const result = await down({ print: { say: (l) => !opts.json && process.stdout.write(l + "\n") } });
      if (opts.json) printJson(result);
      else if (!result.errors.length)
        process.stdout.write(color("green", "down") + ": next start: npm start\n");
      if (result.errors.length) process.exitCode = 1;
    });
}
