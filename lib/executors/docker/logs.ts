// Docker's log stream for a container without a TTY is multiplexed: frames of an 8-byte header
// (stream type, 3 zero bytes, big-endian payload size) and the payload. This turns it into lines.
import type { Readable } from "node:stream";

export type LogStream = "stdout" | "stderr";

export interface LogLine {
  stream: LogStream;
  line: string;
}

/** Incremental frame parser: feed chunks, get complete lines per stream. */
export class LogDemuxer {
  private buf: Buffer = Buffer.alloc(0);
  private partial: Record<LogStream, string> = { stdout: "", stderr: "" };

  push(chunk: Buffer): LogLine[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: LogLine[] = [];
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      const stream: LogStream = this.buf[0] === 2 ? "stderr" : "stdout";
      const text = this.partial[stream] + this.buf.subarray(8, 8 + size).toString("utf8");
      this.buf = this.buf.subarray(8 + size);
      const lines = text.split("\n");
      this.partial[stream] = lines.pop() ?? "";
      for (const line of lines) out.push({ stream, line: line.replace(/\r$/, "") });
    }
    return out;
  }

  /** Whatever is left without a trailing newline. */
  end(): LogLine[] {
    const out: LogLine[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.partial[stream]) out.push({ stream, line: this.partial[stream] });
      this.partial[stream] = "";
    }
    return out;
  }
}

export function demuxBuffer(buf: Buffer): LogLine[] {
  const d = new LogDemuxer();
  return [...d.push(buf), ...d.end()];
}

/** Lines of a (possibly endless) multiplexed log stream; stops when `signal` aborts. */
export async function* demuxStream(stream: Readable, signal?: AbortSignal): AsyncGenerator<LogLine> {
  const d = new LogDemuxer();
  const onAbort = () => stream.destroy();
  if (signal?.aborted) return stream.destroy();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of stream) yield* d.push(chunk as Buffer);
    yield* d.end();
  } catch (err) {
    if (!signal?.aborted) throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    stream.destroy();
  }
}
