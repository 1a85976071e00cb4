// `reef lint <file…>`: lints Benthos configs like `benthos lint`; prints `file:line:col: message`
// and exits 1 when any file has an error.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { lint, type LintIssue } from "../../engine";
import { color, printJson } from "../output";

export function register(program: Command): void {
  program
    .command("lint")
    .description("lint Benthos / Redpanda Connect config files against the built-in engine's schema")
    .argument("<files...>", "config files")
    .option("--json", "machine-readable output")
    .option("--deprecated", "also fail on warnings")
    .action((files: string[], opts: { json?: boolean; deprecated?: boolean }) => {
      const results: { file: string; issues: LintIssue[] }[] = [];
      for (const file of files) {
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
