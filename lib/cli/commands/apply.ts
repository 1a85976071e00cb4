// `reef apply -f <file|dir>`: create or update pipelines from manifests, declaratively.
import type { Command } from "commander";
import { loadManifests, withPipelines, type WriteResult } from "../../pipelines";
import { describeWrite } from "../present";
import { color, printJson } from "../output";

interface Opts {
  file: string;
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("apply")
    .description("create or update pipelines from manifests (pipeline.yaml); prints what changed")
    .requiredOption(
      "-f, --file <path>",
      "a manifest file, or a folder searched for pipeline.yaml / *.pipeline.yaml",
    )
    .option("--dry-run", "show the plan; write nothing")
    .option("--force", "publish even when lint finds errors")
    .option("--json", "machine-readable output")
    .action(async (opts: Opts) => {
      const manifests = await loadManifests(opts.file);
      const results: (WriteResult | { id: string; error: { code: string; message: string } })[] = [];
      let failed = 0;
      await withPipelines(async (pipelines) => {
        for (const [i, m] of manifests.entries()) {
          const progress = manifests.length > 1 ? color("dim", `[${i + 1}/${manifests.length}] `) : "";
          try {
            const r = await pipelines.apply(
              {
                id: m.id,
                name: m.name,
                description: m.description,
                status: m.status,
                replicas: m.replicas,
                job: m.job,
                labels: m.labels,
                autoscale: m.autoscale,
                config: m.configText,
              },
              { dryRun: opts.dryRun, force: opts.force },
            );
            results.push(r);
            if (!opts.json) {
              const mark =
                r.action === "unchanged" ? color("gray", "=") : color("green", r.dryRun ? "~" : "✓");
              process.stdout.write(`${progress}${mark} ${describeWrite(r)}\n`);
              for (const w of r.lint?.issues ?? []) {
                process.stdout.write(`    ${color("yellow", w.level)} ${w.line}:${w.column} ${w.message}\n`);
              }
            }
          } catch (err) {
            failed++;
            const code = (err as { code?: string }).code ?? "ERROR";
            const message = (err as Error).message;
            results.push({ id: m.id, error: { code, message } });
            if (!opts.json)
              process.stdout.write(`${progress}${color("red", "✗")} ${m.id}: [${code}] ${message}\n`);
          }
        }
      });
      if (opts.json) printJson(results);
      if (failed) {
        if (!opts.json) process.stderr.write(`${failed} of ${manifests.length} pipelines failed\n`);
        process.exitCode = 1;
      }
    });
}
