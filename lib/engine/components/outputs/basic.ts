// Simple outputs: drop, stdout, file, reject, sync_response.
import { mkdirSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import type { Writable } from "node:stream";
import { InterpolatedString } from "../../blobl";
import { RejectedError } from "../../errors";
import type { Batch } from "../../message";
import type { Output } from "../../runtime/types";

/** Frames a batch for a byte sink by codec: lines, all-bytes, append, delim:<x>. */
export function encodeBatch(codec: string, batch: Batch): Buffer {
  let sep: Buffer;
  if (codec === "lines") sep = Buffer.from("\n");
  else if (codec === "all-bytes" || codec === "append") sep = Buffer.alloc(0);
  else if (codec.startsWith("delim:")) sep = Buffer.from(codec.slice(6));
  else throw new Error(`codec ${codec} is not supported (use lines, all-bytes, append, delim:<x>)`);
  return Buffer.concat(batch.flatMap((m) => [Buffer.from(m.content), sep]));
}

export function dropOutput(): Output {
  return { maxInFlight: 64, connect: async () => {}, write: async () => {}, close: async () => {} };
}

export function stdoutOutput(conf: { codec: string }, stream: Writable = process.stdout): Output {
  encodeBatch(conf.codec, []);
  return {
    maxInFlight: 1,
    async connect() {},
    write(batch) {
      const buf = encodeBatch(conf.codec, batch);
      return new Promise<void>((resolve, reject) =>
        stream.write(buf, (err) => (err ? reject(err) : resolve())),
      );
    },
    async close() {},
  };
}

export function fileOutput(conf: { path: string; codec: string }): Output {
  encodeBatch(conf.codec, []);
  const path = new InterpolatedString(conf.path);
  // Benthos keeps one file open at a time and switches when the interpolated path changes.
  let current: { path: string; fh: FileHandle } | undefined;
  const fileFor = async (p: string) => {
    if (current?.path === p) return current.fh;
    await current?.fh.close();
    mkdirSync(dirname(p), { recursive: true });
    current = { path: p, fh: await open(p, "a") };
    return current.fh;
  };
  return {
    maxInFlight: 1,
    async connect() {},
    async write(batch) {
      // Consecutive messages for the same path are written together.
      let i = 0;
      while (i < batch.length) {
        const p = path.render(batch, i);
        let j = i + 1;
        while (j < batch.length && (path.isStatic || path.render(batch, j) === p)) j++;
        const fh = await fileFor(p);
        await fh.write(encodeBatch(conf.codec, batch.slice(i, j)));
        i = j;
      }
    },
    async close() {
      await current?.fh.close();
      current = undefined;
    },
  };
}

export function rejectOutput(text: string): Output {
  const msg = new InterpolatedString(text);
  return {
    maxInFlight: 64,
    async connect() {},
    async write(batch) {
      throw new RejectedError(msg.render(batch, 0));
    },
    async close() {},
  };
}

/** Hands the batch back to the `http_server` request that produced it. */
export function syncResponseOutput(): Output {
  return {
    maxInFlight: 64,
    async connect() {},
    async write(batch) {
      const byCtx = new Map<object, Batch>();
      for (const m of batch)
        if (m.syncResponse) byCtx.set(m.syncResponse, [...(byCtx.get(m.syncResponse) ?? []), m]);
      for (const [c, msgs] of byCtx) (c as { responses: Batch[] }).responses.push(msgs);
    },
    async close() {},
  };
}
