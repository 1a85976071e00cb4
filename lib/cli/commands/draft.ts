// `reef draft <id>`: keep the definition, remove every execution.
import type { Command } from "commander";
import { statusCommand } from "./publish";

export function register(program: Command): void {
  statusCommand(program, "draft", "make a pipeline a draft: stored, but no execution and no trace of one");
}
