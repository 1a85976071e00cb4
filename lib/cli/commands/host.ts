// `reef host`: a reef host on its own (many pipelines as streams of the built-in engine; the host
// executor's placements in NATS say which), until SIGTERM/SIGINT. The same as `node runner.mjs host`
// and the runner image's `host` command; `npm start` with REEF_EXECUTOR=host runs REEF_HOSTS of them.
import type { Command } from "commander";
import { runHostFromEnv } from "../../host";

export function register(program: Command): void {
  program
    .command("host")
    .description(
      "run a reef host: the streams the host executor places on it, until SIGTERM/SIGINT (drains them and leaves)",
    )
    .action(async () => {
      process.exitCode = await runHostFromEnv();
    });
}
