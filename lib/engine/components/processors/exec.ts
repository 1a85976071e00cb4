// `command` (one process per message) and `subprocess` (one long-lived process, a codec on its stdio).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { compile, execInput, InterpolatedString } from "../../blobl";
import type { BuildContext } from "../../runtime/context";
import type { Processor } from "../../runtime/types";
import { perMessage } from "./run";

export function commandProcessor(
  conf: { name: string; args_mapping?: string },
  ctx: BuildContext,
): Processor {
  const name = new InterpolatedString(conf.name);
  const argsMapping = conf.args_mapping ? compile(conf.args_mapping) : undefined;
  return perMessage(async (msg, batch, i) => {
    const cmd = name.render(batch, i);
    let args: string[] = [];
    if (argsMapping) {
      const v = argsMapping.query(execInput(batch, i));
      if (!Array.isArray(v)) throw new Error(`args_mapping must return an array, got ${typeof v}`);
      args = v.map((a) => (typeof a === "string" ? a : JSON.stringify(a)));
    }
    const { code, stdout, stderr } = await runOnce(cmd, args, msg.content, ctx.signal);
    if (code !== 0)
      throw new Error(
        stderr.length ? stderr.toString("utf8").trim() : `command ${cmd} exited with status ${code}`,
      );
    msg.setContent(new Uint8Array(stdout));
    if (stderr.length) msg.metadata.command_stderr = stderr.toString("utf8");
    return msg;
  });
}

function runOnce(
  cmd: string,
  args: string[],
  input: Uint8Array,
  signal: AbortSignal,
): Promise<{ code: number; stdout: Buffer; stderr: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.once("error", reject);
    child.once("close", (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }),
    );
    child.stdin.on("error", () => {}); // the program may exit without reading stdin
    child.stdin.end(input);
  });
}

type Codec = "lines" | "length_prefixed_uint32_be" | "netstring";

function encode(codec: Codec, data: Uint8Array): Buffer {
  const b = Buffer.from(data);
  if (codec === "lines") return Buffer.concat([b, Buffer.from("\n")]);
  if (codec === "netstring") return Buffer.concat([Buffer.from(`${b.length}:`), b, Buffer.from(",")]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** Pulls complete frames out of a growing buffer. */
function decode(codec: Codec, buf: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let rest = buf;
  for (;;) {
    if (codec === "lines") {
      const i = rest.indexOf(10);
      if (i < 0) break;
      frames.push(rest.subarray(0, i));
      rest = rest.subarray(i + 1);
    } else if (codec === "netstring") {
      const c = rest.indexOf(58);
      if (c < 0) break;
      const n = Number(rest.subarray(0, c).toString());
      if (rest.length < c + 1 + n + 1) break;
      frames.push(rest.subarray(c + 1, c + 1 + n));
      rest = rest.subarray(c + 2 + n);
    } else {
      if (rest.length < 4) break;
      const n = rest.readUInt32BE(0);
      if (rest.length < 4 + n) break;
      frames.push(rest.subarray(4, 4 + n));
      rest = rest.subarray(4 + n);
    }
  }
  return { frames, rest };
}

export function subprocessProcessor(
  conf: { name: string; args: string[]; max_buffer: number; codec_send: Codec; codec_recv: Codec },
  ctx: BuildContext,
): Processor {
  let child: ChildProcessWithoutNullStreams | undefined;
  let pending: { resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = [];
  let buf: Buffer = Buffer.alloc(0);
  // One message at a time keeps request/response pairs aligned on the child's stdio.
  let chain: Promise<unknown> = Promise.resolve();

  const start = () => {
    const c = spawn(conf.name, conf.args, { stdio: ["pipe", "pipe", "pipe"] });
    c.stdout.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > conf.max_buffer * 4) buf = Buffer.alloc(0);
      const { frames, rest } = decode(conf.codec_recv, buf);
      buf = rest;
      for (const f of frames) pending.shift()?.resolve(Buffer.from(f));
    });
    c.stderr.on("data", (d: Buffer) => ctx.logger.debug(`subprocess stderr: ${d.toString().trim()}`));
    c.stdin.on("error", () => {});
    const fail = (why: string) => {
      if (child === c) child = undefined;
      const err = new Error(`subprocess ${conf.name} ${why}`);
      for (const p of pending.splice(0)) p.reject(err);
      buf = Buffer.alloc(0);
    };
    c.once("error", (e) => fail(`failed: ${e.message}`));
    c.once("close", (code) => {
      fail(`exited with status ${code}`);
      if (!ctx.signal.aborted)
        ctx.logger.warn(`subprocess ${conf.name} exited (${code}); restarting on next message`);
    });
    child = c;
    return c;
  };

  const roundTrip = (data: Uint8Array) =>
    new Promise<Buffer>((resolve, reject) => {
      const c = child ?? start();
      pending.push({ resolve, reject });
      c.stdin.write(encode(conf.codec_send, data));
    });

  return {
    ...perMessage(async (msg) => {
      // A program that exited before answering gets one retry on a fresh process.
      const p = chain.then(() => roundTrip(msg.content).catch(() => roundTrip(msg.content)));
      chain = p.catch(() => undefined);
      msg.setContent(new Uint8Array(await p));
      return msg;
    }),
    async close() {
      const c = child;
      child = undefined;
      pending = [];
      if (c && c.exitCode === null) {
        c.stdin.end();
        c.kill("SIGTERM");
      }
    },
  };
}
