// `reef graph <id|config>`: a pipeline (or a config file) as a Mermaid flowchart.
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { isValidId } from "../../model";
import {
  configToMermaid,
  loadManifests,
  pipelinesToMermaid,
  withPipelines,
  type Manifest,
} from "../../pipelines";
import { isManifestName } from "../../pipelines/manifest";
import { parseVersionArg } from "../present";
import { printJson, UsageError } from "../output";

export function register(program: Command): void {
  program.enablePositionalOptions(); // so --version reaches this command (see publish.ts)
  program
    .command("graph")
    .description(
      "draw a pipeline as a Mermaid flowchart: input → processors (switch/branch/workflow fan-out) → outputs",
    )
    .argument(
      "<id|config|manifests>",
      "a pipeline id, a config file, or manifests (a pipeline.yaml or a folder of them: every pipeline, jobs with their triggers)",
    )
    .option("--version <v>", "the version to draw (default: the current one)", parseVersionArg)
    .option("--json", "machine-readable output")
    .action(async (target: string, opts: { version?: string; json?: boolean }) => {
      const kind = await stat(target).then(
        (s) => (s.isDirectory() ? "dir" : s.isFile() ? "file" : null),
        () => null,
      );
      let mermaid: string;
      let source: string;
      if (kind === "dir" || (kind === "file" && isManifestName(basename(target)))) {
        mermaid = pipelinesToMermaid((await loadManifests(target)).map(graphPipelineOf));
        source = target;
      } else if (kind === "file") {
        mermaid = configToMermaid(await readFile(target, "utf8"));
        source = target;
      } else if (isValidId(target)) {
        const g = await withPipelines((p) => p.graph(target, opts.version));
        ({ mermaid } = g);
        source = `${g.id}/${g.version}`;
      } else {
        throw new UsageError(`${target} is neither a file, a folder nor a pipeline id`);
      }
      if (opts.json) return printJson({ source, mermaid });
      process.stdout.write(mermaid);
    });
}

function graphPipelineOf(m: Manifest) {
  return {
    id: m.id,
    configText: m.configText,
    ...(m.job.mode === "job" ? { job: m.job.trigger ?? {} } : {}),
  };
}
