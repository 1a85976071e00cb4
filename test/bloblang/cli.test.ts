import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../lib/bloblang";
import { runLine } from "../../lib/cli/commands/blobl";
import { loadConfig, startStream } from "../../lib/engine";

const line = (mapping: string, input: string, opts: { raw?: boolean; pretty?: boolean } = {}) => {
  const r = runLine(compile(mapping), new TextEncoder().encode(input), opts);
  return r.error !== undefined ? { error: r.error } : { text: new TextDecoder().decode(r.bytes) };
};

describe("reef blobl line processing", () => {
  it("prints JSON results, raw strings, and echoes the input when root is not assigned", () => {
    expect(line(`root.n = this.n + 1`, `{"n":9223372036854775806}`)).toEqual({
      text: `{"n":9223372036854775807}`,
    });
    expect(line(`root = this.s.uppercase()`, `{"s":"hi"}`)).toEqual({ text: "HI" });
    expect(line(`meta x = 1`, `{"b":1,"a":2}`)).toEqual({ text: `{"a":2,"b":1}` });
    expect(line(`root = content().string().length()`, `raw line`, { raw: true })).toEqual({ text: "8" });
    expect(line(`root = this`, `{"a":{"b":[1]}}`, { pretty: true }).text).toBe(
      `{\n  "a": {\n    "b": [\n      1\n    ]\n  }\n}`,
    );
  });

  it("reports per-line errors", () => {
    expect(line(`root = this.a.uppercase()`, `not json`).error).toContain("parse as json");
  });
});

describe("reef blobl and the engine agree on bytes", () => {
  it("raw input that is not UTF-8 comes out byte for byte, as the engine keeps it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reef-blobl-"));
    // Latin-1 "café", a lone continuation byte, 0xff 0xfe; then a line with CRLF.
    const input = Buffer.from([
      0x63, 0x61, 0x66, 0xe9, 0x0a, 0x80, 0x41, 0xff, 0xfe, 0x0a, 0x42, 0xfe, 0x0d, 0x0a,
    ]);
    const expected = Buffer.from([
      0x63, 0x61, 0x66, 0xe9, 0x0a, 0x80, 0x41, 0xff, 0xfe, 0x0a, 0x42, 0xfe, 0x0a,
    ]);
    writeFileSync(join(dir, "in.bin"), input);

    const cli = await runCli(["blobl", "-r", "root = content()"], input);
    expect(cli.code).toBe(0);

    const stream = await startStream(
      loadConfig(
        `input:\n  file:\n    paths: [ ${join(dir, "in.bin")} ]\n    scanner: { lines: {} }\n` +
          `pipeline:\n  processors:\n    - mapping: root = content()\n` +
          `output:\n  file:\n    path: ${join(dir, "out.bin")}\n    codec: lines\n`,
        { env: {} },
      ),
      { logger: () => {} },
    );
    await stream.done;
    const engine = readFileSync(join(dir, "out.bin"));

    expect([...engine]).toEqual([...expected]);
    expect([...cli.stdout]).toEqual([...engine]);
  });
});

function runCli(args: string[], stdin: Buffer): Promise<{ code: number | null; stdout: Buffer }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", resolve("lib/cli/main.ts"), ...args], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    const out: Buffer[] = [];
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`reef ${args.join(" ")} did not finish within 60 s`));
    }, 60_000);
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.once("error", fail);
    child.once("exit", (code) => {
      clearTimeout(timer);
      done({ code, stdout: Buffer.concat(out) });
    });
    child.stdin.end(stdin);
  });
}
