// `reef blobl`: run a Bloblang mapping over JSON documents (one per input line), like Benthos' `blobl`.
import { createReadStream, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { compile, toJson, parseJson } from "../../bloblang";
import { UsageError, color } from "../output";

interface BloblOptions {
  mapping?: string;
  expr?: string;
  input?: string;
  raw?: boolean;
  pretty?: boolean;
}

export function register(program: Command): void {
  program
    .command("blobl")
    .description("Execute a Bloblang mapping on documents read from stdin (one JSON document per line)")
    .argument("[mapping]", "the mapping, inline (same as -e)")
    .option("-m, --mapping <file>", "read the mapping from a file (alias -f)")
    .option("-f, --file <file>", "read the mapping from a file")
    .option("-e, --expr <mapping>", "the mapping, inline")
    .option("-i, --input <file>", "read input documents from a file instead of stdin")
    .option("-r, --raw", "treat each input line as a raw string rather than JSON")
    .option("-p, --pretty", "pretty-print JSON output")
    .action(async (inline: string | undefined, opts: BloblOptions & { file?: string }) => {
      const file = opts.mapping ?? opts.file;
      const sources = [file, opts.expr, inline].filter((s) => s !== undefined);
      if (sources.length !== 1)
        throw new UsageError("give exactly one mapping: -m <file>, -e '<mapping>' or an argument");
      const source = file !== undefined ? readFileSync(file, "utf8") : (opts.expr ?? inline)!;
      const mapping = compile(source, {
        importDir: file !== undefined ? dirname(resolve(file)) : process.cwd(),
      });
      const input = opts.input ? createReadStream(opts.input) : process.stdin;
      let failures = 0;
      for await (const line of byteLines(input)) {
        const out = runLine(mapping, line, opts);
        if (out.error !== undefined) {
          failures++;
          process.stderr.write(color("red", `failed to execute map: ${out.error}`) + "\n");
          continue;
        }
        if (out.bytes !== undefined) process.stdout.write(Buffer.concat([out.bytes, NEWLINE]));
      }
      if (failures > 0) process.exitCode = 1;
    });
}

const NEWLINE = Buffer.from("\n");

/**
 * Input lines as bytes (a trailing `\r` dropped, as Go's line scanner does): a raw line keeps every
 * byte, valid UTF-8 or not, as the engine keeps a message's content.
 */
async function* byteLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<Uint8Array> {
  let buf = Buffer.alloc(0);
  for await (const chunk of input) {
    buf = Buffer.concat([buf, typeof chunk === "string" ? Buffer.from(chunk) : chunk]);
    let i: number;
    while ((i = buf.indexOf(0x0a)) >= 0) {
      yield withoutCR(buf.subarray(0, i));
      buf = buf.subarray(i + 1);
    }
  }
  if (buf.length) yield withoutCR(buf);
}

function withoutCR(line: Buffer): Uint8Array {
  return line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
}

/** One input line through the mapping; returns the bytes to print (empty when deleted) or the error. */
export function runLine(
  mapping: ReturnType<typeof compile>,
  content: Uint8Array,
  opts: { raw?: boolean; pretty?: boolean },
): { bytes?: Uint8Array; error?: string } {
  const utf8 = (text: string) => ({ bytes: Buffer.from(text) });
  try {
    const res = mapping.exec(opts.raw ? { content, value: content } : { content });
    if (res.deleted) return utf8("");
    const v = res.value;
    if (v === undefined) {
      // nothing assigned: echo the input document
      if (opts.raw) return { bytes: content };
      try {
        return utf8(render(parseJson(new TextDecoder().decode(content)), opts.pretty));
      } catch {
        return { bytes: content };
      }
    }
    if (typeof v === "string") return utf8(v);
    if (v instanceof Uint8Array) return { bytes: v };
    return utf8(render(v, opts.pretty));
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function render(v: unknown, pretty?: boolean): string {
  const compact = toJson(v);
  if (!pretty) return compact;
  return prettyJson(compact);
}

/** Re-indents compact JSON text with two spaces without re-parsing numbers (int64 stays exact). */
function prettyJson(text: string): string {
  let out = "";
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      out += c;
      if (c === "\\") out += text[++i];
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') {
      inStr = true;
      out += c;
    } else if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      if (text[i + 1] === close) {
        out += c + close;
        i++;
        continue;
      }
      depth++;
      out += c + "\n" + "  ".repeat(depth);
    } else if (c === "}" || c === "]") {
      depth--;
      out += "\n" + "  ".repeat(depth) + c;
    } else if (c === ",") out += ",\n" + "  ".repeat(depth);
    else if (c === ":") out += ": ";
    else out += c;
  }
  return out;
}
