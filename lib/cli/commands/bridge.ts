// `reef bridge`: the long-running bridge on its own (in AWS next to the functions; locally `reef up` runs it).
import type { Command } from "commander";
import { startBridge } from "../../bridge";

export function register(program: Command): void {
  program
    .command("bridge")
    .description(
      "forward pipelines KV changes to the converge function (durable consumer; JSON-line logs) until SIGTERM/SIGINT",
    )
    .action(async () => {
      const running = await startBridge({ handleSignals: true });
      await running.done;
    });
}
