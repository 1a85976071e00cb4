// The `reef` command. Each command lives in lib/cli/commands/<name>.ts and exports
// `register(program)`; this file only wires them together and maps errors to exit codes:
// 0 done, 1 failed, 2 usage error.
import { Command, CommanderError } from "commander";
import { useLocalNats } from "../local";
import { commands } from "./commands";
import { exitCodeFor, printError } from "./output";

const program = new Command("reef")
  .description("Run Benthos / Redpanda Connect pipelines defined in NATS JetStream")
  .version("0.1.0")
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);
// The nats-server `npm start` started requires the credentials it keeps in REEF_HOME: every command
// but `up` (which decides that itself) finds them there.
program.hook("preAction", (_program, command) => {
  if (command.name() !== "up") useLocalNats(process.env);
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; every other commander error is a usage error
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    printError(err);
    process.exitCode = exitCodeFor(err);
  }
}
