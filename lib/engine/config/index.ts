// Config loading and lint: the public surface of lib/engine/config.
import { EngineConfigError } from "../errors";
import type { EngineConfig, LintIssue } from "./types";
import { walkConfig } from "./walk";

export { CONFIG_LIMITS } from "./walk";

export type { ComponentConfig, EngineConfig, LintIssue } from "./types";
export { componentNames, componentSpec, isBenthosOnly } from "./components";
export { parseDuration } from "../duration";

/** Lints a Benthos YAML config like `benthos lint`: errors and warnings with YAML path, line and column. */
export function lint(yamlText: string, opts: { env?: NodeJS.ProcessEnv } = {}): LintIssue[] {
  return walkConfig(yamlText, opts.env ?? process.env).issues;
}

/** The reef-only components a config uses (`input postgres_notify`, …): only the built-in engine runs it. */
export function reefOnlyComponents(yamlText: string, opts: { env?: NodeJS.ProcessEnv } = {}): string[] {
  return walkConfig(yamlText, opts.env ?? process.env).config.reefOnly;
}

/** Expands env vars, parses and validates a config; throws EngineConfigError listing every lint error. */
export function loadConfig(
  yamlText: string,
  opts: { env?: NodeJS.ProcessEnv; path?: string } = {},
): EngineConfig {
  const { issues, config } = walkConfig(yamlText, opts.env ?? process.env);
  const errors = issues.filter((i) => i.level === "error");
  if (errors.length) {
    const where = opts.path ?? "config";
    throw new EngineConfigError(
      errors.map((e) => `${where}:${e.line}:${e.column}: ${e.message}`).join("\n"),
      errors,
    );
  }
  if (opts.path) config.path = opts.path;
  return config;
}
