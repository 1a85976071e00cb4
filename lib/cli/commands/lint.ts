// `reef lint <file…>`: lints Benthos configs like `benthos lint`; prints `file:line:col: message`
// and exits 1 when any file has an error. A pipeline manifest (`pipeline.yaml`) lints its config,
// and with `autoscale` warns when the config's input cannot be scaled (CONTRACT.md §6).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { lint, type LintIssue } from "../../engine";
import { autoscaleIssue, parseManifests } from "../../pipelines";
import { isManifestName } from "../../pipelines/manifest";
import { color, printJson } from "../output";

interface FileResult {
  file: string;
  issues: LintIssue[];
}

export function register(program: Command): void {
  program
    .command("lint")
    .description("lint Benthos / Redpanda Connect config files against the built-in engine's schema")
    .argument("<paths...>", "config files, or directories to lint every *.yaml / *.yml in")
    .option("--json", "machine-readable output")
    .option("--deprecated", "also fail on warnings")
    .action(async (paths: string[], opts: { json?: boolean; deprecated?: boolean }) => {
      const results: FileResult[] = [];
      const manifests: { file: string; text: string }[] = [];
      for (const file of paths.flatMap(expand)) {
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch (err) {
          results.push({ file, issues: [problem((err as Error).message)] });
          continue;
        }
        // A `pipeline.yaml` may also be a plain Benthos config: a manifest has `id` and `config`.
        if (isManifestName(baseName(file)) && isManifestText(text)) manifests.push({ file, text });
        else results.push({ file, issues: lint(text) });
      }
      for (const { file, text } of manifests) await lintManifest(file, text, results);
      const failed = results.some((r) =>
        r.issues.some((i) => i.level === "error" || (opts.deprecated && i.level === "warning")),
      );
      if (opts.json) printJson({ ok: !failed, files: results });
      else
        for (const r of results)
          for (const i of r.issues)
            process.stdout.write(
              `${r.file}:${i.line}:${i.column}: ${i.level === "warning" ? color("yellow", "warning: ") : ""}${i.message}\n`,
            );
      if (failed) process.exitCode = 1;
    });
}

/** A directory stands for every YAML config under it (unit-test definitions and manifests excepted). */
function expand(path: string): string[] {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    return [path];
  }
  if (!isDir) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const full = join(path, e.name);
      if (e.isDirectory()) return e.name.startsWith(".") || e.name === "node_modules" ? [] : expand(full);
      // configs and manifests; not unit-test definitions
      return /\.ya?ml$/.test(e.name) && !/_benthos_test\.ya?ml$/.test(e.name) ? [full] : [];
    });
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function problem(message: string, level: LintIssue["level"] = "error"): LintIssue {
  return { path: "", line: 1, column: 1, message, level };
}

/**
 * A manifest: its config is linted (unless that config file is linted already), and a manifest with
 * `autoscale` is checked against the config's input. Findings go under the config file when the
 * config is a path, else under the manifest.
 */
async function lintManifest(file: string, text: string, results: FileResult[]): Promise<void> {
  let manifests;
  try {
    manifests = await parseManifests(text, file);
  } catch (err) {
    results.push({ file, issues: [problem((err as Error).message)] });
    return;
  }
  for (const m of manifests) {
    const where = m.configFile ?? m.source;
    let entry = results.find((r) => resolve(r.file) === resolve(where));
    if (!entry) {
      entry = { file: where, issues: lint(m.configText) };
      results.push(entry);
    }
    if (!m.autoscale) continue;
    if (m.job.mode === "job") {
      entry.issues.push(
        problem(`${m.source}: autoscale needs mode "stream": a job has no replicas to scale`),
      );
      continue;
    }
    const issue = autoscaleIssue(m.configText);
    if (issue)
      entry.issues.push(where === m.source ? issue : { ...issue, message: `${m.source}: ${issue.message}` });
  }
}

function isManifestText(text: string): boolean {
  try {
    return parseAllDocuments(text).some((d) => {
      const v = d.toJS() as unknown;
      return typeof v === "object" && v !== null && "id" in v && "config" in v;
    });
  } catch {
    return false;
  }
}
