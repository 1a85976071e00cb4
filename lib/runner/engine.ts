// Which engine runs the config (CONTRACT.md §3): REEF_ENGINE = auto | builtin | <path to a binary>.
import { settingsFrom } from "../config";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { EngineNotFoundError } from "../model";

export type EngineChoice = { kind: "builtin" } | { kind: "binary"; path: string };

/** Benthos-compatible binaries, in order of preference. */
export const ENGINE_BINARIES = ["benthos", "redpanda-connect", "bento"] as const;

export function chooseEngine(
  env: NodeJS.ProcessEnv = process.env,
  config: { reefOnly?: string[] } = {},
): EngineChoice {
  const wanted = settingsFrom(env).engine;
  if (wanted === "builtin") return { kind: "builtin" };
  if (wanted === "auto") {
    // Components only reef has (postgres_notify) run on the built-in engine whatever binary exists.
    if (config.reefOnly?.length) return { kind: "builtin" };
    for (const name of ENGINE_BINARIES) {
      const found = findOnPath(name, env.PATH);
      if (found) return { kind: "binary", path: found };
    }
    return { kind: "builtin" };
  }
  if (!isExecutable(wanted)) {
    throw new EngineNotFoundError(
      `REEF_ENGINE=${wanted} is not an executable file (use auto, builtin, or the path of a benthos/redpanda-connect/bento binary)`,
    );
  }
  return { kind: "binary", path: wanted };
}

export function findOnPath(name: string, path: string | undefined): string | null {
  for (const dir of (path ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
