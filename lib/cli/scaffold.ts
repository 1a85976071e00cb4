// `reef init`: a pipeline folder with a manifest and a small working config (with config tests).
import { mkdir, writeFile, access } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { isValidId, ID_RULE } from "../model";
import { ValidationError } from "../pipelines";

export interface ScaffoldResult {
  id: string;
  dir: string;
  files: string[];
}

export function defaultIdFor(dir: string): string {
  return basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/g, "");
}

export function manifestTemplate(id: string): string {
  return `# reef pipeline manifest: \`reef apply -f .\` creates or updates the pipeline from it.
id: ${id}
name: ${id}
description: A sample pipeline made by \`reef init\`
# status: draft | published (running) | paused (stopped, kept). When set, \`reef apply\` enforces it;
# left out, a new pipeline starts as draft and apply leaves the status to reef publish / pause / draft.
# status: published
replicas: 1
labels:
  team: example
# The Benthos / Redpanda Connect config, relative to this file. Each different content becomes a new version.
config: ./config.yaml
`;
}

export const SAMPLE_CONFIG = `# A Benthos / Redpanda Connect config. Environment variables are expanded (see GREETING_NAME below).
input:
  generate:
    interval: 1s
    mapping: |
      root = { "id": counter(), "name": "\${GREETING_NAME:reef}" }

pipeline:
  processors:
    - mapping: |
        root = this
        root.greeting = "hello " + this.name

output:
  stdout: {}

# Config unit tests (run by \`benthos test\` or the built-in engine).
tests:
  - name: adds a greeting
    target_processors: /pipeline/processors
    input_batch:
      - content: '{"id": 1, "name": "world"}'
    output_batches:
      - - json_equals: { "id": 1, "name": "world", "greeting": "hello world" }
`;

/** Writes `<dir>/pipeline.yaml` and `<dir>/config.yaml`; refuses to overwrite unless `force`. */
export async function scaffold(
  dir: string,
  opts: { id?: string; force?: boolean } = {},
): Promise<ScaffoldResult> {
  const id = opts.id ?? defaultIdFor(dir);
  if (!isValidId(id)) {
    throw new ValidationError(
      `cannot use ${JSON.stringify(id)} as the pipeline id: ${ID_RULE}${opts.id ? "" : " (pass --id)"}`,
    );
  }
  const files = [join(dir, "pipeline.yaml"), join(dir, "config.yaml")];
  if (!opts.force) {
    for (const f of files) {
      const exists = await access(f).then(
        () => true,
        () => false,
      );
      if (exists) throw new ValidationError(`${f} already exists (--force overwrites it)`);
    }
  }
  await mkdir(dir, { recursive: true });
  await writeFile(files[0], manifestTemplate(id));
  await writeFile(files[1], SAMPLE_CONFIG);
  return { id, dir, files };
}
