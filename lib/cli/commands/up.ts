// `reef up` (`npm start`): the whole local system in the foreground; Ctrl-C stops it (not the executions).
import type { Command } from "commander";
import { up } from "../../local";
import { color } from "../output";

export function register(program: Command): void {
  program
    .command("up")
    .description(
      "run the local system in the foreground: nats-server, the functions under serverless-offline, the bridge (Ctrl-C stops it; executions keep running)",
    )
    .option("--no-sample", "do not load the sample pipeline")
    .option("-q, --quiet", "do not echo the functions' output (it is always in .reef/logs/functions.log)")
    .action(async (opts: { sample: boolean; quiet?: boolean }) => {
      const say = (l: string) => process.stdout.write(`${color("cyan", "reef")} ${l}\n`);
      const stack = await up({
        noSample: !opts.sample,
        print: {
          say,
          echo: opts.quiet
            ? undefined
            : (source, line) => process.stdout.write(`${color("gray", source + " |")} ${line}\n`),
        },
      });
      say(color("green", "ready.") + " Try:");
      for (const line of [
        "npx reef list                       # pipelines and their phase",
        "npx reef publish sample             # run the sample (generate → mapping → stdout)",
        "npx reef status sample --watch      # observed status",
        'curl -H "x-api-key: $(cat .reef/api-key)" http://127.0.0.1:3000/pipelines',
        "npx reef logs sample -f             # its output",
        "npx reef pause sample / draft sample / delete sample",
        "Ctrl-C stops nats-server, functions and bridge (executions keep running); npm run down stops them too",
      ]) {
        process.stdout.write(`    ${line}\n`);
      }
      await new Promise<void>((resolve) => {
        const onSignal = (sig: string) => {
          say(`${sig}: stopping the control plane (executions keep running; npm run down stops them)`);
          void stack.stop().then(resolve);
        };
        // SIGHUP: the terminal was closed
        for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(sig, () => onSignal(sig));
        void stack.offline.exited.then(() => setTimeout(resolve, 100));
      });
      await stack.stop();
      say("control plane stopped");
    });
}
