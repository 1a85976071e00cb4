// Lint before publish: `<binary> lint` when a Benthos / Redpanda Connect / Bento binary is the
// engine (so lint agrees with what will run), otherwise the built-in linter of lib/engine.
import { settingsFrom } from "../config";
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { isMap, LineCounter, parseDocument } from "yaml";
import { autoscaleNoEffect, type LintIssue } from "../model";

export interface LintResult {
  /** `builtin`, or the binary that linted. */
  linter: string;
  issues: LintIssue[];
}

export type Linter = (yamlText: string) => Promise<LintResult>;

const BINARIES = ["benthos", "redpanda-connect", "bento"];

/** The engine binary lint should use, following REEF_ENGINE (auto | builtin | path); null = built-in. */
export function lintBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  const engine = settingsFrom(env).engine;
  if (engine === "builtin") return null;
  if (engine !== "auto") return engine;
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    for (const name of BINARIES) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export function createLinter(env: NodeJS.ProcessEnv = process.env): Linter {
  return async (yamlText) => {
    let binary = lintBinary(env);
    // Under REEF_ENGINE=auto a config with reef-only components runs on the built-in engine (see the runner).
    if (binary && settingsFrom(env).engine === "auto") {
      const { reefOnlyComponents } = await import("../engine/config");
      if (reefOnlyComponents(yamlText, { env }).length) binary = null;
    }
    return binary ? lintWithBinary(binary, yamlText, env) : lintBuiltin(yamlText, env);
  };
}

async function lintBuiltin(yamlText: string, env: NodeJS.ProcessEnv): Promise<LintResult> {
  // Loaded on demand: the engine is large and only publishing needs it.
  const { lint } = await import("../engine/config");
  return { linter: "builtin", issues: lint(yamlText, { env }) };
}

async function lintWithBinary(binary: string, yamlText: string, env: NodeJS.ProcessEnv): Promise<LintResult> {
  const dir = await mkdtemp(join(tmpdir(), "reef-lint-"));
  const file = join(dir, "config.yaml");
  try {
    await writeFile(file, yamlText);
    const { code, output } = await run(binary, ["lint", file], env);
    if (code === 0) return { linter: binary, issues: [] };
    return { linter: binary, issues: parseLintOutput(output, file) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(
  binary: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(binary, args, { env, timeout: 30_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      const spawnError = err && typeof err.code === "string" ? `${binary}: ${err.message}\n` : "";
      resolve({ code, output: spawnError + stdout + stderr });
    });
  });
}

/** `benthos lint` prints `file(line,col) message` per problem; anything else becomes one issue. */
export function parseLintOutput(output: string, file: string): LintIssue[] {
  const issues: LintIssue[] = [];
  const other: string[] = [];
  for (const raw of output.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(.*?)\((\d+),(\d+)\)\s*(.*)$/.exec(line);
    if (m) {
      issues.push({ path: "", line: Number(m[2]), column: Number(m[3]), message: m[4], level: "error" });
    } else {
      other.push(line.split(file).join("config.yaml"));
    }
  }
  if (!issues.length) {
    issues.push({ path: "", line: 0, column: 0, message: other.join("; ") || "lint failed", level: "error" });
  }
  return issues;
}

/**
 * The warning for a pipeline with `autoscale` whose config's input the replicas cannot share (or
 * that reports no JetStream lag): autoscale has no effect. Null when it works, or when the config
 * is not a YAML mapping (lint reports that). Placed at the config's `input` key.
 */
export function autoscaleIssue(configText: string): LintIssue | null {
  const lines = new LineCounter();
  const doc = parseDocument(configText, { lineCounter: lines });
  if (doc.errors.length || !isMap(doc.contents)) return null;
  let message: string | null;
  try {
    message = autoscaleNoEffect(doc.toJS() as Record<string, unknown>);
  } catch {
    return null;
  }
  if (!message) return null;
  const key = doc.contents.items.find((p) => (p.key as { value?: unknown } | null)?.value === "input")
    ?.key as { range?: [number, number, number] } | undefined;
  const pos = key?.range ? lines.linePos(key.range[0]) : { line: 1, col: 1 };
  return { path: "input", line: pos.line, column: pos.col, message, level: "warning" };
}
