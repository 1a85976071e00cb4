// Shared output helpers for CLI commands: errors, JSON, colours only on a TTY.
import { styleText } from "node:util";

/** A usage error: exit status 2. */
export class UsageError extends Error {
  readonly code = "USAGE";
  override name = "UsageError";
}

export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError ? 2 : 1;
}

export function printError(err: unknown): void {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(
    `${color("red", "error")}${typeof code === "string" ? ` [${code}]` : ""}: ${message}\n`,
  );
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

type Color = "red" | "green" | "yellow" | "cyan" | "gray" | "bold" | "dim";

/** Colours only when stdout is a terminal and NO_COLOR is unset. */
export function color(style: Color, text: string): string {
  if (!process.stdout.isTTY || process.env.NO_COLOR) return text;
  return styleText(style, text);
}
