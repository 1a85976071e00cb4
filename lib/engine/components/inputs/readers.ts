// `stdin` and `file`: a scanner (lines, to_the_end, chunker; or the deprecated `codec`) over a byte stream.
import { createReadStream, readdirSync, statSync, unlinkSync, type Dirent } from "node:fs";
import { join, sep } from "node:path";
import type { Readable } from "node:stream";
import { Message, type Transaction } from "../../message";
import type { Input } from "../../runtime/types";

export type ScannerConf = {
  lines?: { custom_delimiter?: string };
  to_the_end?: object;
  chunker?: { size: number };
};

/** The scanner from `scanner`, or from the deprecated `codec` string when that is set. */
export function scannerFrom(conf: { scanner: ScannerConf; codec?: string }): ScannerConf {
  const codec = conf.codec;
  if (!codec) return conf.scanner;
  if (codec === "lines") return { lines: {} };
  if (codec === "all-bytes") return { to_the_end: {} };
  if (codec.startsWith("delim:")) return { lines: { custom_delimiter: codec.slice(6) } };
  if (codec.startsWith("chunker:")) return { chunker: { size: Number(codec.slice(8)) } };
  throw new Error(`codec ${codec} is not supported (use lines, all-bytes, delim:<x>, chunker:<n>)`);
}

export async function* scan(stream: Readable, scanner: ScannerConf): AsyncGenerator<Buffer> {
  if (scanner.to_the_end) {
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    yield Buffer.concat(parts);
    return;
  }
  if (scanner.chunker) {
    let buf: Buffer = Buffer.alloc(0);
    for await (const c of stream) {
      buf = Buffer.concat([buf, c as Buffer]);
      while (buf.length >= scanner.chunker.size) {
        yield buf.subarray(0, scanner.chunker.size);
        buf = buf.subarray(scanner.chunker.size);
      }
    }
    if (buf.length) yield buf;
    return;
  }
  const delim = Buffer.from(scanner.lines?.custom_delimiter || "\n");
  let buf: Buffer = Buffer.alloc(0);
  for await (const c of stream) {
    buf = buf.length ? Buffer.concat([buf, c as Buffer]) : (c as Buffer);
    let i: number;
    while ((i = buf.indexOf(delim)) >= 0) {
      const line = buf.subarray(0, i);
      buf = buf.subarray(i + delim.length);
      // Empty lines are skipped, as the Benthos lines scanner does.
      if (line.length) yield stripCR(line, delim);
    }
  }
  if (buf.length) yield stripCR(buf, delim);
}

function stripCR(line: Buffer, delim: Buffer): Buffer {
  return delim.length === 1 && delim[0] === 10 && line[line.length - 1] === 13 ? line.subarray(0, -1) : line;
}

export function stdinInput(
  conf: { scanner: ScannerConf; codec?: string },
  stream: Readable = process.stdin,
): Input {
  const frames = scan(stream, scannerFrom(conf));
  let stopped = false;
  return {
    async connect() {},
    async read(): Promise<Transaction | null> {
      if (stopped) return null;
      const r = await frames.next();
      if (r.done || stopped) return null;
      return { batch: [new Message(new Uint8Array(r.value))], ack: async () => {} };
    },
    async stop() {
      stopped = true;
    },
    async close() {
      stopped = true;
      if (stream !== process.stdin) stream.destroy();
      else stream.pause();
    },
  };
}

/** Expands `*`, `**` and `?` in paths; plain paths are kept as they are. */
export function expandGlobs(patterns: string[]): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    if (!/[*?[]/.test(p)) {
      out.push(p);
      continue;
    }
    const parts = p.split(/[\\/]/);
    const firstWild = parts.findIndex((s) => /[*?[]/.test(s));
    const base = parts.slice(0, firstWild).join(sep) || (p.startsWith("/") ? "/" : ".");
    const re = new RegExp(
      "^" +
        p
          .replace(/[.+^${}()|\\]/g, "\\$&")
          .replace(/\*\*\/?/g, "\u0001")
          .replace(/\*/g, "[^/]*")
          .replace(/\?/g, "[^/]")
          .split("\u0001")
          .join("(?:.*/)?") +
        "$",
    );
    const walk = (dir: string) => {
      let entries: Dirent[] = [];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = dir === "." ? e.name : join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else if (re.test(full)) out.push(full);
      }
    };
    walk(base);
  }
  return out.sort();
}

export function fileInput(conf: {
  paths: string[];
  scanner: ScannerConf;
  codec?: string;
  delete_on_finish: boolean;
}): Input {
  const scanner = scannerFrom(conf);
  let files: string[] = [];
  let current:
    | {
        path: string;
        frames: AsyncGenerator<Buffer>;
        meta: Record<string, unknown>;
        pending: number;
        done: boolean;
      }
    | undefined;
  let stopped = false;
  const maybeDelete = (f: NonNullable<typeof current>) => {
    if (conf.delete_on_finish && f.done && f.pending === 0) {
      try {
        unlinkSync(f.path);
      } catch {
        /* already gone */
      }
    }
  };
  return {
    async connect() {
      files = expandGlobs(conf.paths);
    },
    async read(): Promise<Transaction | null> {
      for (;;) {
        if (stopped) return null;
        if (!current) {
          const path = files.shift();
          if (path === undefined) return null;
          const st = statSync(path);
          current = {
            path,
            frames: scan(createReadStream(path), scanner),
            meta: { path, mod_time_unix: Math.floor(st.mtimeMs / 1000), mod_time: st.mtime.toISOString() },
            pending: 0,
            done: false,
          };
        }
        const f = current;
        const r = await f.frames.next();
        if (r.done) {
          f.done = true;
          maybeDelete(f);
          if (current === f) current = undefined;
          continue;
        }
        f.pending++;
        return {
          batch: [new Message(new Uint8Array(r.value), { ...f.meta })],
          ack: async (err) => {
            if (err) return;
            f.pending--;
            maybeDelete(f);
          },
        };
      }
    },
    async stop() {
      stopped = true;
    },
    async close() {
      stopped = true;
      await current?.frames.return(undefined);
    },
  };
}
