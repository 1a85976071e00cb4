// `reef blobl`: run a Bloblang mapping over JSON documents (one per input line), like Benthos' `blobl`.
import { createReadStream, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
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
      const lines = createInterface({ input, crlfDelay: Infinity });
      let failures = 0;
      for await (const line of lines) {
        const out = runLine(mapping, line, opts);
        if (out.error !== undefined) {
          failures++;
          process.stderr.write(color("red", `failed to execute map: ${out.error}`) + "\n");
          continue;
        }
        if (out.text !== undefined) process.stdout.write(out.text + "\n");
      }
      if (failures > 0) process.exitCode = 1;
    });
}

/** One input line through the mapping; returns the printed text (undefined when deleted) or the error. */
export function runLine(
  mapping: ReturnType<typeof compile>,
  line: string,
  opts: { raw?: boolean; pretty?: boolean },
): { text?: string; error?: string } {
  const content = new TextEncoder().encode(line);
  try {
    const res = mapping.exec(opts.raw ? { content, value: content } : { content });
    if (res.deleted) return { text: "" };
    const v = res.value;
    if (v === undefined) {
      // nothing assigned: echo the input document
      if (opts.raw) return { text: line };
      try {
        return { text: render(parseJson(line), opts.pretty) };
      } catch {
        return { text: line };
      }
    }
    if (typeof v === "string") return { text: v };
    if (v instanceof Uint8Array) return { text: new TextDecoder().decode(v) };
    return { text: render(v, opts.pretty) };
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
