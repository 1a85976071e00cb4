// Pipeline manifests (`pipeline.yaml`): the declarative, file-based form `reef apply` reads.
//
//   id: orders-enrich          # the pipeline id (a DNS label)
//   name: Orders enrichment
//   description: optional text
//   status: draft              # draft | published | paused (omitted: keep the current one; new: draft)
//   replicas: 1
//   labels: { team: payments }
//   autoscale: { min: 1, max: 8, targetPending: 1000, cooldown: 60s }   # optional: replicas follow the lag
//   config: ./config.yaml      # path relative to this file, or the Benthos config inline as a mapping
//   mode: job                  # optional (CONTRACT.md §8), with trigger, concurrency, timeout, retries
import { readFile, readdir, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { isMap, isScalar, LineCounter, parseAllDocuments, stringify, type Document } from "yaml";
import { z } from "zod";
import {
  ID_PATTERN,
  ID_RULE,
  STATUSES,
  autoscaleSchema,
  jobFields,
  replicasSchema,
  type Autoscale,
  type JobFields,
} from "../model";
import { ManifestError } from "./errors";

export const manifestSchema = z
  .object({
    id: z.string({ error: "id is required (a string)" }).regex(ID_PATTERN, { error: ID_RULE }),
    name: z.string({ error: "name must be a string" }).optional(),
    description: z.string({ error: "description must be a string" }).optional(),
    status: z.enum(STATUSES, { error: `status must be one of ${STATUSES.join(", ")}` }).optional(),
    replicas: replicasSchema.optional(),
    labels: z.record(z.string(), z.string(), { error: "labels must map strings to strings" }).optional(),
    autoscale: autoscaleSchema.optional(),
    ...jobFields,
    config: z.union([z.string().min(1), z.record(z.string(), z.unknown())], {
      error:
        "config is required: a path to the Benthos config (e.g. ./config.yaml) or the config inline as a mapping",
    }),
  })
  .strict();

const JOB_FIELD_NAMES = ["mode", "trigger", "concurrency", "timeout", "retries"] as const;

export type ManifestDocument = z.infer<typeof manifestSchema>;

export interface Manifest {
  id: string;
  name?: string;
  description?: string;
  status?: (typeof STATUSES)[number];
  replicas?: number;
  labels?: Record<string, string>;
  autoscale?: Autoscale;
  /** mode, trigger, concurrency, timeout, retries (only those the manifest gives). */
  job: JobFields;
  /** The config's YAML text. */
  configText: string;
  /** Where it came from, for messages: `dir/pipeline.yaml` (and `#2` for the 2nd document). */
  source: string;
  /** The config file, when `config` was a path. */
  configFile?: string;
}

const MANIFEST_NAMES = new Set(["pipeline.yaml", "pipeline.yml"]);

/** `pipeline.yaml`, `pipeline.yml`, `*.pipeline.yaml`: a manifest, not a Benthos config. */
export function isManifestName(name: string): boolean {
  return MANIFEST_NAMES.has(name) || name.endsWith(".pipeline.yaml") || name.endsWith(".pipeline.yml");
}

/** The manifest files under `path`: the file itself, or every `pipeline.yaml` / `*.pipeline.yaml` below a directory. */
export async function findManifestFiles(path: string): Promise<string[]> {
  const st = await stat(path).catch(() => null);
  if (!st) throw new ManifestError(`${path}: no such file or directory`);
  if (st.isFile()) return [path];
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) {
        if (depth < 8 && !e.name.startsWith(".") && e.name !== "node_modules")
          await walk(join(dir, e.name), depth + 1);
      } else if (e.isFile() && isManifestName(e.name)) {
        found.push(join(dir, e.name));
      }
    }
  };
  await walk(path, 0);
  if (!found.length) {
    throw new ManifestError(
      `${path}: no manifest found (looked for pipeline.yaml, pipeline.yml, *.pipeline.yaml)`,
    );
  }
  return found;
}

/** Reads and validates every manifest under `path`; all problems of all files in one error. */
export async function loadManifests(path: string): Promise<Manifest[]> {
  const files = await findManifestFiles(path);
  const manifests: Manifest[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      manifests.push(...(await loadManifestFile(file)));
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      problems.push(err.message);
    }
  }
  const seen = new Map<string, string>();
  for (const m of manifests) {
    const other = seen.get(m.id);
    if (other) problems.push(`${m.source}: pipeline ${m.id} is also defined in ${other}`);
    else seen.set(m.id, m.source);
  }
  if (problems.length) {
    throw new ManifestError(problems.join("\n"), { problems });
  }
  return manifests;
}

export async function loadManifestFile(file: string): Promise<Manifest[]> {
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new ManifestError(`${file}: cannot read: ${err.code ?? err.message}`);
  });
  return parseManifests(text, file);
}

/** Parses manifest text (one or more YAML documents). `file` names it in messages and anchors config paths. */
export async function parseManifests(text: string, file: string): Promise<Manifest[]> {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) throw new ManifestError(`${file}: empty manifest`);
  const out: Manifest[] = [];
  const problems: string[] = [];
  const where = (offset: number | undefined) => {
    if (offset === undefined) return file;
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const nonEmpty = docs.filter((d) => d.contents !== null);
  if (!nonEmpty.length) throw new ManifestError(`${file}: empty manifest`);
  for (const [n, doc] of nonEmpty.entries()) {
    const source = nonEmpty.length > 1 ? `${file}#${n + 1}` : file;
    if (doc.errors.length) {
      for (const e of doc.errors)
        problems.push(`${where(e.pos[0])}: invalid YAML: ${e.message.split("\n")[0]}`);
      continue;
    }
    const value = doc.toJS();
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.push(
        `${where(doc.contents?.range?.[0])}: a manifest must be a mapping (id, name, status, config, …)`,
      );
      continue;
    }
    const parsed = manifestSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const at = issue.code === "unrecognized_keys" ? keyOffset(doc, issue.path, issue.keys[0]) : undefined;
        problems.push(`${where(at ?? offsetOf(doc, issue.path))}: ${describeIssue(issue)}`);
      }
      continue;
    }
    const m = parsed.data;
    let configText: string;
    let configFile: string | undefined;
    if (typeof m.config === "string") {
      configFile = resolve(dirname(file), m.config);
      try {
        configText = await readFile(configFile, "utf8");
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        problems.push(
          `${where(offsetOf(doc, ["config"]))}: config ${m.config} ${code === "ENOENT" ? "not found" : `unreadable (${code})`} (looked at ${relative(process.cwd(), configFile) || basename(configFile)})`,
        );
        continue;
      }
    } else {
      configText = stringify(m.config);
    }
    out.push({
      id: m.id,
      name: m.name,
      description: m.description,
      status: m.status,
      replicas: m.replicas,
      labels: m.labels,
      autoscale: m.autoscale,
      job: Object.fromEntries(JOB_FIELD_NAMES.filter((k) => m[k] !== undefined).map((k) => [k, m[k]])),
      configText,
      configFile,
      source,
    });
  }
  if (problems.length) throw new ManifestError(problems.join("\n"), { file, problems });
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")} (allowed: id, name, description, status, replicas, labels, autoscale, config, ${JOB_FIELD_NAMES.join(", ")})`;
  }
  const field = issue.path.join(".");
  return field ? `${field}: ${issue.message}` : issue.message;
}

/** The source offset of the key `key` in the mapping at `path`. */
function keyOffset(doc: Document, path: PropertyKey[], key: string): number | undefined {
  const map = path.length ? doc.getIn(path as (string | number)[], true) : doc.contents;
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
}

/** The source offset of the node at `path`, or of its closest existing parent. */
function offsetOf(doc: Document, path: PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as
      { range?: [number, number, number] } | undefined;
    if (node && typeof node === "object" && node.range) return node.range[0];
  }
  return undefined;
}
