// `reef lint <file…>`: lints Benthos configs like `benthos lint`; prints `file:line:col: message`
// and exits 1 when any file has an error.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { lint, type LintIssue } from "../../engine";
import { isManifestName } from "../../pipelines/manifest";
import { color, printJson } from "../output";

export function register(program: Command): void {
  program
    .command("lint")
    .description("lint Benthos / Redpanda Connect config files against the built-in engine's schema")
    .argument("<paths...>", "config files, or directories to lint every *.yaml / *.yml in")
    .option("--json", "machine-readable output")
    .option("--deprecated", "also fail on warnings")
    .action((files: string[], opts: { json?: boolean; deprecated?: boolean }) => {
      const results: { file: string; issues: LintIssue[] }[] = [];
      for (const file of files.flatMap(expand)) {
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch (err) {
          results.push({
            file,
            issues: [{ path: "", line: 1, column: 1, message: (err as Error).message, level: "error" }],
          });
          continue;
        }
        results.push({ file, issues: lint(text) });
      }
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
      const config =
        /\.ya?ml$/.test(e.name) && !/_benthos_test\.ya?ml$/.test(e.name) && !isManifestName(e.name);
      return config ? [full] : [];
    });
}
