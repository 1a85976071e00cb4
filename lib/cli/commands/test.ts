// `reef test <file|dir…>`: runs Benthos config unit tests (`tests:` in a config, or a sibling
// `<name>_benthos_test.yaml`) with the built-in engine; exits 1 when any test fails.
import type { Command } from "commander";
import { runConfigTests, type TestReport } from "../../engine";
import { color, printJson, UsageError } from "../output";

/** Benthos's log levels, as `benthos test --log` takes them. */
const LOG_LEVELS = ["none", "off", "fatal", "error", "warn", "info", "debug", "trace", "all"];

export function register(program: Command): void {
  program
    .command("test")
    .description("run Benthos config unit tests with the built-in engine")
    .argument(
      "[paths...]",
      "config files, *_benthos_test.yaml files, directories (dir/... too) or quoted glob patterns",
      ["."],
    )
    .option("--log <level>", `let components log at a level to stdout (${LOG_LEVELS.join(", ")})`)
    .option("--json", "machine-readable output")
    .action(async (paths: string[], opts: { json?: boolean; log?: string }) => {
      if (opts.log !== undefined && !LOG_LEVELS.includes(opts.log.toLowerCase())) {
        throw new UsageError(`--log: '${opts.log}' is not a log level (${LOG_LEVELS.join(", ")})`);
      }
      const reports: TestReport[] = [];
      for (const p of paths) reports.push(await runConfigTests(p, { logLevel: opts.log }));
      const files = reports.flatMap((r) => r.files);
      const passed = reports.reduce((n, r) => n + r.passed, 0);
      const failed = reports.reduce((n, r) => n + r.failed, 0);
      if (opts.json) printJson({ ok: failed === 0, passed, failed, files });
      else {
        for (const f of files) {
          const where = f.definition === f.config ? f.config : `${f.definition} (${f.config})`;
          if (f.error) {
            process.stdout.write(`${color("red", "FAIL")} ${where}: ${f.error}\n`);
            continue;
          }
          process.stdout.write(`${f.ok ? color("green", "PASS") : color("red", "FAIL")} ${where}\n`);
          for (const t of f.tests) {
            process.stdout.write(`  ${t.ok ? color("green", "✓") : color("red", "✗")} ${t.name}\n`);
            for (const failure of t.failures)
              process.stdout.write(`      ${failure.replace(/\n/g, "\n      ")}\n`);
          }
        }
        if (!files.length) process.stdout.write("no tests found\n");
        process.stdout.write(`${passed} passed, ${failed} failed\n`);
      }
      if (failed > 0) process.exitCode = 1;
    });
}
