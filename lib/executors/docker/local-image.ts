// Builds the local runner image (`reef-runner:local`) with no registry access: a minimal root
// filesystem made of this machine's node binary and exactly the shared libraries `ldd` lists,
// CA certificates, a non-root user and the runner bundle, streamed as a tar into `docker import`.
// The image is labelled with a hash of everything that goes into it; when the label matches,
// nothing is rebuilt, so calling this on every start is cheap.
import { settingsFrom } from "../../config";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { pack as tarPack, type Pack } from "tar-stream";
import { ExecutorError } from "../../model";
import { dockerClient, dockerMessage, statusCodeOf } from "./client";
import { DEFAULT_RUNNER_IMAGE } from "./settings";

/** Bump when the layout below changes, so existing images are rebuilt. */
const FORMAT = "reef-runner-rootfs/1";
export const CONTENT_HASH_LABEL = "reef.content-hash";
const UID = 10001;
const TITLE_LABEL = "org.opencontainers.image.title";
const TITLE = "reef-runner";
const RUNNER_PATH = "/opt/reef/runner.mjs";
const NODE_PATH = "/usr/local/bin/node";

export interface LocalImageOptions {
  /**
   * Image reference to tag; default `reef-runner:local`. Without it, when REEF_RUNNER_IMAGE names
   * another image, nothing is built (that image is used as it is).
   */
  image?: string;
  /** The runner bundle; default REEF_RUNNER_BUNDLE, else dist/runner.mjs (cwd, then next to this module). */
  runnerBundle?: string;
  /** The node binary to put in the image; default REEF_RUNNER_NODE, else the node running this. */
  nodeBinary?: string;
  /** Rebuild even when the hash matches. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
  docker?: Docker;
  log?: (line: string) => void;
}

export interface LocalImageResult {
  image: string;
  hash: string;
  /** False when an image with the same content hash was already there. */
  built: boolean;
  id: string;
  /** Why nothing was checked or built (REEF_RUNNER_IMAGE names another image). */
  skipped?: string;
}

type Entry =
  | { kind: "dir"; path: string; mode: number; uid?: number }
  | { kind: "file"; path: string; mode: number; source: string; size: number }
  | { kind: "text"; path: string; mode: number; text: string };

/** Ensures the local runner image exists and matches the current runner bundle and node. */
export async function ensureLocalRunnerImage(opts: LocalImageOptions = {}): Promise<LocalImageResult> {
  const env = opts.env ?? process.env;
  const image = opts.image ?? DEFAULT_RUNNER_IMAGE;
  const configured = settingsFrom(env).runnerImage;
  if (!opts.image && configured && configured !== DEFAULT_RUNNER_IMAGE) {
    // Another runner image is in use: never build over (or tag as) someone's image.
    return {
      image: configured,
      hash: "",
      built: false,
      id: "",
      skipped: `REEF_RUNNER_IMAGE is ${configured}`,
    };
  }
  const docker = opts.docker ?? dockerClient(env);
  const log = opts.log ?? (() => {});
  const entries = await rootfsEntries(opts, env);
  const changes = imageChanges();
  const hash = await contentHash(entries, changes);

  const current = await inspectImage(docker, image);
  if (!opts.force && current?.Config?.Labels?.[CONTENT_HASH_LABEL] === hash) {
    return { image, hash, built: false, id: current.Id };
  }
  log(`building ${image} (content ${hash.slice(0, 12)})`);
  const [repo, tag] = splitReference(image);
  const tar = tarPack();
  const writing = writeEntries(tar, entries).then(
    () => tar.finalize(),
    (err: unknown) => tar.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  try {
    const stream = await docker.importImage(
      tar as unknown as NodeJS.ReadableStream,
      {
        repo,
        tag,
        changes: [...changes, `LABEL ${CONTENT_HASH_LABEL}=${hash}`],
      } as unknown as Record<string, unknown>,
    );
    await followProgress(docker, stream);
    await writing;
  } catch (err) {
    throw new ExecutorError(`cannot import ${image}: ${dockerMessage(err)}`);
  }
  const built = await inspectImage(docker, image);
  if (built?.Config?.Labels?.[CONTENT_HASH_LABEL] !== hash) {
    throw new ExecutorError(`imported ${image} but it does not carry content hash ${hash}`);
  }
  log(`built ${image} ${built.Id}`);
  await pruneOldImages(docker);
  return { image, hash, built: true, id: built.Id };
}

/** Dockerfile instructions applied by `docker import --change`. */
function imageChanges(): string[] {
  return [
    `ENTRYPOINT ["${NODE_PATH}", "--enable-source-maps", "${RUNNER_PATH}"]`,
    `USER ${UID}:${UID}`,
    "WORKDIR /home/reef",
    "ENV PATH=/usr/local/bin:/usr/bin:/bin",
    "ENV NODE_ENV=production",
    "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
    `LABEL ${TITLE_LABEL}=${TITLE}`,
  ];
}

/** Where the runner bundle is: explicit, env, cwd/dist, or next to this module once bundled. */
export function findRunnerBundle(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  const candidates = explicit
    ? [explicit]
    : [
        settingsFrom(env).runnerBundle,
        join(process.cwd(), "dist", "runner.mjs"),
        ...besideThisModule(),
      ].filter((c): c is string => !!c);
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new ExecutorError(
      `runner bundle not found (looked at ${candidates.join(", ")}): run 'npm run build'`,
    );
  }
  return found;
}

/**
 * dist/runner.mjs next to the CLI bundle (dist/reef.mjs or one of its dist/chunks/), or from
 * lib/executors/docker in the source tree.
 */
function besideThisModule(): string[] {
  try {
    return ["./runner.mjs", "../runner.mjs", "../../../dist/runner.mjs"].map((p) =>
      fileURLToPath(new URL(p, import.meta.url)),
    );
  } catch {
    return []; // bundled somewhere without a file URL
  }
}

async function rootfsEntries(opts: LocalImageOptions, env: NodeJS.ProcessEnv): Promise<Entry[]> {
  const bundle = findRunnerBundle(env, opts.runnerBundle);
  const node = await realpath(opts.nodeBinary ?? settingsFrom(env).runnerNode ?? process.execPath);
  const entries: Entry[] = [
    { kind: "dir", path: "tmp", mode: 0o1777 },
    { kind: "dir", path: "home/reef", mode: 0o755, uid: UID },
    { kind: "dir", path: "run/reef", mode: 0o755 },
    {
      kind: "text",
      path: "etc/passwd",
      mode: 0o644,
      text: `root:x:0:0:root:/root:/sbin/nologin\nreef:x:${UID}:${UID}:reef:/home/reef:/sbin/nologin\n`,
    },
    { kind: "text", path: "etc/group", mode: 0o644, text: `root:x:0:\nreef:x:${UID}:\n` },
    {
      kind: "text",
      path: "etc/nsswitch.conf",
      mode: 0o644,
      text: "passwd: files\ngroup: files\nhosts: files dns\n",
    },
    await fileEntry(NODE_PATH, node, 0o755),
    await fileEntry(RUNNER_PATH, bundle, 0o644),
  ];
  if (existsSync(`${bundle}.map`))
    entries.push(await fileEntry(`${RUNNER_PATH}.map`, `${bundle}.map`, 0o644));
  for (const lib of await sharedLibraries(node))
    entries.push(await fileEntry(lib, await realpath(lib), 0o755));
  const certs = "/etc/ssl/certs/ca-certificates.crt";
  if (existsSync(certs)) entries.push(await fileEntry(certs, await realpath(certs), 0o644));
  return entries;
}

async function fileEntry(path: string, source: string, mode: number): Promise<Entry> {
  const s = await stat(source);
  return { kind: "file", path: path.replace(/^\/+/, ""), mode, source, size: s.size };
}

/** The absolute paths `ldd` lists for a binary (the dynamic loader included, the vDSO not). */
export async function sharedLibraries(binary: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)("ldd", [binary]));
  } catch (err) {
    // A static binary makes ldd exit non-zero with "not a dynamic executable".
    const out = String((err as { stdout?: string; stderr?: string }).stderr ?? "");
    if (/not a dynamic executable|statically linked/.test(out)) return [];
    throw new ExecutorError(`ldd ${binary} failed (the local image needs Linux and ldd): ${String(err)}`);
  }
  const libs = new Set<string>();
  for (const line of stdout.split("\n")) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.add(m[1]);
    if (/=>\s*not found/.test(line)) throw new ExecutorError(`ldd ${binary}: ${line.trim()}`);
  }
  return [...libs].sort();
}

async function contentHash(entries: Entry[], changes: string[]): Promise<string> {
  const h = createHash("sha256");
  h.update(`${FORMAT}\n${changes.join("\n")}\n`);
  for (const e of [...entries].sort((a, b) => a.path.localeCompare(b.path))) {
    h.update(`${e.kind} ${e.path} ${e.mode.toString(8)}\n`);
    if (e.kind === "text") h.update(e.text);
    if (e.kind === "file") {
      for await (const chunk of createReadStream(e.source)) h.update(chunk as Buffer);
    }
  }
  return h.digest("hex");
}

async function writeEntries(tar: Pack, entries: Entry[]): Promise<void> {
  // Parent directories first, root-owned, so the tar is a complete filesystem.
  const dirs = new Set<string>();
  for (const e of entries) {
    const parts = e.path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  const explicit = new Set(entries.filter((e) => e.kind === "dir").map((e) => e.path));
  const mtime = new Date(0);
  for (const d of [...dirs].sort()) {
    if (!explicit.has(d)) await addEntry(tar, { name: d, type: "directory", mode: 0o755, mtime });
  }
  for (const e of entries) {
    if (e.kind === "dir") {
      await addEntry(tar, {
        name: e.path,
        type: "directory",
        mode: e.mode,
        uid: e.uid ?? 0,
        gid: e.uid ?? 0,
        mtime,
      });
    } else if (e.kind === "text") {
      await addEntry(tar, { name: e.path, mode: e.mode, mtime }, Buffer.from(e.text));
    } else {
      await new Promise<void>((resolve, reject) => {
        const sink = tar.entry({ name: e.path, mode: e.mode, size: e.size, mtime }, (err) =>
          err ? reject(err) : resolve(),
        );
        createReadStream(e.source).on("error", reject).pipe(sink);
      });
    }
  }
}

function addEntry(tar: Pack, header: Parameters<Pack["entry"]>[0], body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    tar.entry({ uid: 0, gid: 0, ...header }, body ?? Buffer.alloc(0), (err) =>
      err ? reject(err) : resolve(),
    );
  });
}

async function inspectImage(docker: Docker, image: string): Promise<Docker.ImageInspectInfo | null> {
  try {
    return await docker.getImage(image).inspect();
  } catch (err) {
    if (statusCodeOf(err) === 404) return null;
    throw new ExecutorError(`cannot inspect image ${image}: ${dockerMessage(err)}`);
  }
}

/** Earlier local runner images, untagged by the rebuild, are removed once no container uses them. */
async function pruneOldImages(docker: Docker): Promise<void> {
  try {
    await docker.pruneImages({ filters: { dangling: ["true"], label: [`${TITLE_LABEL}=${TITLE}`] } });
  } catch {
    // best effort: a prune already running, or an old daemon
  }
}

function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = output?.find((o) => o.error);
      if (err) reject(err);
      else if (failed) reject(new Error(failed.error));
      else resolve();
    });
  });
}

function splitReference(image: string): [string, string] {
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  return colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, "latest"];
}

/** For `reef-runner:local`: true when the image reference is the one this module builds. */
export function isLocalRunnerImage(image: string): boolean {
  return image === DEFAULT_RUNNER_IMAGE;
}
