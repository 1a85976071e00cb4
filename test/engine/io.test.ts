import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readLines, runToEnd, start, tempDir, waitFor } from "./helpers";

describe("file and broker inputs", () => {
  it("reads files by glob line by line with path metadata, and deletes them when done", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "a.txt"), "a1\na2\n");
    writeFileSync(join(dir, "sub", "b.txt"), "b1\r\n\nb2");
    writeFileSync(join(dir, "skip.log"), "nope\n");
    const out = join(dir, "out", "result.jsonl");
    await runToEnd(`
input:
  file:
    paths: [ '${dir}/**/*.txt' ]
    delete_on_finish: true
pipeline:
  threads: 1
  processors:
    - mapping: 'root = {"line": content().string(), "path": @path}'
output:
  file:
    path: ${out}
`);
    expect(readLines(out).map((l) => JSON.parse(l))).toEqual([
      { line: "a1", path: join(dir, "a.txt") },
      { line: "a2", path: join(dir, "a.txt") },
      { line: "b1", path: join(dir, "sub", "b.txt") },
      { line: "b2", path: join(dir, "sub", "b.txt") },
    ]);
    expect(existsSync(join(dir, "a.txt"))).toBe(false);
    expect(existsSync(join(dir, "skip.log"))).toBe(true);
  });

  it("reads a whole file as one message with scanner to_the_end; broker merges inputs", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "doc.json"), '{\n  "a": 1\n}\n');
    const out = join(dir, "out.txt");
    await runToEnd(`
input:
  broker:
    inputs:
      - file:
          paths: [ ${dir}/doc.json ]
          scanner:
            to_the_end: {}
        processors:
          - mapping: 'root = "file:" + this.a.string()'
      - generate:
          count: 2
          interval: ""
          mapping: 'root = "gen"'
output:
  file:
    path: ${out}
`);
    expect(readLines(out).sort()).toEqual(["file:1", "gen", "gen"]);
  });
});

describe("outputs", () => {
  it("broker fan_out writes every message to every output; round_robin spreads them", async () => {
    const dir = tempDir();
    await runToEnd(`
input:
  generate:
    count: 4
    interval: ""
    mapping: 'root = counter().string()'
output:
  broker:
    pattern: fan_out
    outputs:
      - file: { path: ${dir}/a.txt }
      - broker:
          pattern: round_robin
          outputs:
            - file: { path: ${dir}/b.txt }
            - file: { path: ${dir}/c.txt }
`);
    expect(readLines(join(dir, "a.txt"))).toEqual(["1", "2", "3", "4"]);
    expect(readLines(join(dir, "b.txt")).length + readLines(join(dir, "c.txt")).length).toBe(4);
    expect(readLines(join(dir, "b.txt")).length).toBe(2);
  });

  it("switch routes by check with continue; fallback takes the next output on failure", async () => {
    const dir = tempDir();
    await runToEnd(`
input:
  generate:
    count: 4
    interval: ""
    mapping: 'root = {"n": counter()}'
output:
  switch:
    cases:
      - check: this.n % 2 == 0
        continue: true
        output:
          file: { path: ${dir}/even.txt }
      - check: this.n > 2
        output:
          fallback:
            - reject: 'primary down'
            - file: { path: ${dir}/big.txt }
`);
    expect(readLines(join(dir, "even.txt")).map((l) => JSON.parse(l).n)).toEqual([2, 4]);
    expect(readLines(join(dir, "big.txt")).map((l) => JSON.parse(l).n)).toEqual([3, 4]);
  });

  it("batching on an output groups messages by count and period", async () => {
    const dir = tempDir();
    const s = await runToEnd(`
input:
  generate:
    count: 5
    interval: ""
    mapping: 'root = counter().string()'
output:
  broker:
    outputs:
      - file: { path: ${dir}/out.txt }
    batching:
      count: 2
      period: 50ms
      processors:
        - mapping: 'root = content().string() + "-b" + batch_size().string()'
`);
    expect(readLines(join(dir, "out.txt"))).toEqual(["1-b2", "2-b2", "3-b2", "4-b2", "5-b1"]);
    expect(s.metrics().output.sent).toBe(5);
  });

  it("memory buffer acks the input early and still delivers everything", async () => {
    const dir = tempDir();
    const s = await start(`
input:
  generate:
    count: 20
    interval: ""
    mapping: 'root = counter().string()'
buffer:
  memory: {}
pipeline:
  threads: 1
  processors:
    - sleep: { duration: 5ms }
output:
  file: { path: ${dir}/out.txt }
`);
    await s.done;
    expect(readLines(join(dir, "out.txt"))).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
  });

  it("reject output with replay: messages flow once the rejection condition clears", async () => {
    const dir = tempDir();
    const marker = join(dir, "gate");
    writeFileSync(marker, "closed");
    const s = await start(`
input:
  generate:
    count: 2
    interval: ""
    mapping: 'root = counter().string()'
output:
  switch:
    cases:
      - check: 'file("${marker}").string() != "open"'
        output:
          reject: 'gate closed'
      - output:
          file: { path: ${dir}/out.txt }
`);
    await waitFor(() => (s.metrics().output?.errors ?? 0) >= 2, "rejections");
    writeFileSync(marker, "open");
    await waitFor(() => readLines(join(dir, "out.txt")).length === 2, "delivery after the gate opened");
    await s.done;
    expect(readLines(join(dir, "out.txt")).sort()).toEqual(["1", "2"]);
  });
});

describe("resources", () => {
  it("inputs, processors and outputs can be resources referenced by label", async () => {
    const dir = tempDir();
    const s = await runToEnd(`
input:
  resource: numbers
pipeline:
  processors:
    - resource: double
    - resource: double
output:
  resource: sink
input_resources:
  - label: numbers
    generate:
      count: 2
      interval: ""
      mapping: 'root = counter()'
processor_resources:
  - label: double
    mapping: 'root = this * 2'
output_resources:
  - label: sink
    file:
      path: ${dir}/out.txt
`);
    expect(readLines(join(dir, "out.txt"))).toEqual(["4", "8"]);
    // Metrics of a resource are kept under its label.
    expect(s.metrics().double).toMatchObject({ received: 4, sent: 4 });
  });
});

describe("fairness", () => {
  it("an endless generate without interval into drop can still be stopped", async () => {
    const s = await start(`
input:
  generate:
    interval: ""
    mapping: 'root = counter()'
output:
  drop: {}
`);
    await waitFor(() => (s.metrics().output?.sent ?? 0) > 1000, "messages flowing");
    const t0 = Date.now();
    await s.stop(1000);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe("more output and processor options", () => {
  it("file output switches files by interpolated path; codecs delim and all-bytes", async () => {
    const dir = tempDir();
    await runToEnd(`
input:
  generate:
    count: 4
    interval: ""
    mapping: |
      root = counter().string()
      meta bucket = if counter() % 2 == 0 { "even" } else { "odd" }
pipeline:
  threads: 1
output:
  broker:
    pattern: fan_out_sequential
    outputs:
      - file:
          path: '${dir}/\${! @bucket }.txt'
      - file:
          path: ${dir}/delim.txt
          codec: 'delim:|'
      - file:
          path: ${dir}/raw.txt
          codec: all-bytes
`);
    expect(readLines(join(dir, "odd.txt"))).toEqual(["1", "3"]);
    expect(readLines(join(dir, "even.txt"))).toEqual(["2", "4"]);
    expect(readFileSync(join(dir, "delim.txt"), "utf8")).toBe("1|2|3|4|");
    expect(readFileSync(join(dir, "raw.txt"), "utf8")).toBe("1234");
  });

  it("reject_errored sends good messages on and nacks failed ones; broker copies duplicate outputs", async () => {
    const dir = tempDir();
    const s = await start(`
input:
  generate:
    count: 3
    interval: ""
    mapping: 'root = counter()'
    auto_replay_nacks: false
pipeline:
  threads: 1
  processors:
    - mapping: 'root = if this == 2 { throw("bad") } else { this }'
output:
  reject_errored:
    broker:
      copies: 2
      pattern: fan_out
      outputs:
        - file: { path: ${dir}/out.txt }
`);
    await s.done;
    // The two copies are separate file outputs appending to one file: their writes may interleave.
    expect(readLines(join(dir, "out.txt")).sort()).toEqual(["1", "1", "3", "3"]);
    expect(s.metrics().input).toMatchObject({ received: 3, sent: 2, errors: 1 });
  });

  it("batching by byte_size and by check; group_by_value and split by byte_size", async () => {
    const dir = tempDir();
    await runToEnd(`
input:
  generate:
    count: 6
    batch_size: 6
    interval: ""
    mapping: 'root = if counter() % 2 == 0 { "aa" } else { "b" }'
pipeline:
  threads: 1
  processors:
    - group_by_value:
        value: '\${! content() }'
    - mapping: 'root = content().string() + ":" + batch_size().string()'
    - split:
        size: 10
        byte_size: 8
    - mapping: 'root = content().string() + "/" + batch_size().string()'
output:
  broker:
    outputs:
      - file: { path: ${dir}/out.txt }
    batching:
      check: 'content().string().has_prefix("aa")'
      processors:
        - mapping: 'root = content().string() + "#" + batch_size().string()'
`);
    // group_by_value makes a batch of 3 "b" and a batch of 3 "aa"; split by 8 bytes makes
    // [b:3,b:3],[b:3],[aa:3,aa:3],[aa:3]; the output batch closes at every "aa…" message.
    expect(readLines(join(dir, "out.txt"))).toEqual([
      "b:3/2#4",
      "b:3/2#4",
      "b:3/1#4",
      "aa:3/2#4",
      "aa:3/2#1",
      "aa:3/1#1",
    ]);
  });
});
