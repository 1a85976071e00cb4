// `reef pause <id>`: stop the executions but keep them; publishing again resumes them.
import type { Command } from "commander";
import { statusCommand } from "./publish";

export function register(program: Command): void {
  statusCommand(program, "paused", "pause a pipeline: its executions are stopped but kept");
}
