// `command` (one process per message) and `subprocess` (one long-lived process, a codec on its stdio).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { compile, execInput, InterpolatedString } from "../../blobl";
import { EngineError } from "../../errors";
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

/** The program's output cannot be read as `codec_recv` frames: malformed, or larger than `max_buffer`. */
export class SubprocessOutputError extends EngineError {
  override name = "SubprocessOutputError";
  constructor(message: string) {
    super(message, "SUBPROCESS_OUTPUT");
  }
}

function encode(codec: Codec, data: Uint8Array): Buffer {
  const b = Buffer.from(data);
  if (codec === "lines") return Buffer.concat([b, Buffer.from("\n")]);
  if (codec === "netstring") return Buffer.concat([Buffer.from(`${b.length}:`), b, Buffer.from(",")]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

const COLON = 0x3a;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

/**
 * Pulls complete frames out of a growing buffer. A frame (its framing included) may not exceed
 * `max` bytes, as Benthos's `max_buffer`; malformed framing throws SubprocessOutputError.
 */
function decode(codec: Codec, buf: Buffer, max: number): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  const tooLarge = () =>
    new SubprocessOutputError(`subprocess response is larger than max_buffer (${max} bytes)`);
  let rest = buf;
  for (;;) {
    if (codec === "lines") {
      const i = rest.indexOf(NEWLINE);
      if (i >= max || (i < 0 && rest.length >= max)) throw tooLarge();
      if (i < 0) break;
      frames.push(rest.subarray(0, i));
      rest = rest.subarray(i + 1);
    } else if (codec === "netstring") {
      const c = rest.indexOf(COLON);
      const digits = rest.subarray(0, c < 0 ? rest.length : c).toString("latin1");
      if ((c >= 0 && digits === "") || !/^\d*$/.test(digits))
        throw new SubprocessOutputError(
          `invalid netstring from subprocess: unable to decode length '${digits}'`,
        );
      const n = c < 0 ? 0 : Number(digits);
      if (digits.length > 20 || c + 2 + n > max) throw tooLarge();
      if (c < 0 || rest.length < c + 2 + n) break;
      if (rest[c + 1 + n] !== COMMA)
        throw new SubprocessOutputError("invalid netstring from subprocess: trailing comma is missing");
      frames.push(rest.subarray(c + 1, c + 1 + n));
      rest = rest.subarray(c + 2 + n);
    } else {
      if (rest.length < 4) break;
      const n = rest.readUInt32BE(0);
      if (4 + n > max) throw tooLarge();
      if (rest.length < 4 + n) break;
      frames.push(rest.subarray(4, 4 + n));
      rest = rest.subarray(4 + n);
    }
  }
  return { frames, rest };
}

interface Waiter {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

/** One run of the program: its requests waiting for an answer, in order. */
interface Running {
  proc: ChildProcessWithoutNullStreams;
  pending: Waiter[];
}

export function subprocessProcessor(
  conf: { name: string; args: string[]; max_buffer: number; codec_send: Codec; codec_recv: Codec },
  ctx: BuildContext,
): Processor {
  let current: Running | undefined;
  // One message at a time keeps request/response pairs aligned on the child's stdio.
  let chain: Promise<unknown> = Promise.resolve();

  const start = (): Running => {
    const proc = spawn(conf.name, conf.args, { stdio: ["pipe", "pipe", "pipe"] });
    const run: Running = { proc, pending: [] };
    let buf: Buffer = Buffer.alloc(0);
    let outOfStep = false;
    const fail = (err: Error) => {
      if (current === run) current = undefined;
      for (const p of run.pending.splice(0)) p.reject(err);
    };
    proc.stdout.on("data", (d: Buffer) => {
      if (outOfStep) return;
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      let decoded: { frames: Buffer[]; rest: Buffer };
      try {
        decoded = decode(conf.codec_recv, buf, conf.max_buffer);
      } catch (err) {
        // Answers can no longer be matched to requests: fail what waits, start over on a fresh process.
        outOfStep = true;
        buf = Buffer.alloc(0);
        fail(err as Error);
        ctx.logger.warn(`${(err as Error).message}; restarting ${conf.name} on next message`);
        proc.kill("SIGTERM");
        return;
      }
      buf = decoded.rest;
      for (const f of decoded.frames) run.pending.shift()?.resolve(Buffer.from(f));
    });
    proc.stderr.on("data", (d: Buffer) => ctx.logger.debug(`subprocess stderr: ${d.toString().trim()}`));
    proc.stdin.on("error", () => {});
    proc.once("error", (e) => fail(new Error(`subprocess ${conf.name} failed: ${e.message}`)));
    proc.once("close", (code) => {
      fail(new Error(`subprocess ${conf.name} exited with status ${code}`));
      if (!ctx.signal.aborted && !outOfStep)
        ctx.logger.warn(`subprocess ${conf.name} exited (${code}); restarting on next message`);
    });
    current = run;
    return run;
  };

  const roundTrip = (data: Uint8Array) =>
    new Promise<Buffer>((resolve, reject) => {
      const run = current ?? start();
      run.pending.push({ resolve, reject });
      run.proc.stdin.write(encode(conf.codec_send, data));
    });

  return {
    ...perMessage(async (msg) => {
      // A program that exited before answering gets one retry on a fresh process; one that answered
      // something unreadable does not (it would answer the same again).
      const p = chain.then(() =>
        roundTrip(msg.content).catch((err: unknown) => {
          if (err instanceof SubprocessOutputError) throw err;
          return roundTrip(msg.content);
        }),
      );
      chain = p.catch(() => undefined);
      msg.setContent(new Uint8Array(await p));
      return msg;
    }),
    async close() {
      const run = current;
      current = undefined;
      if (run) run.pending = [];
      if (run && run.proc.exitCode === null) {
        run.proc.stdin.end();
        run.proc.kill("SIGTERM");
      }
    },
  };
}
