import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { logs, readLines, runToEnd, tempDir } from "./helpers";

const gen = (count: number, mapping: string) => `
input:
  generate:
    count: ${count}
    interval: ""
    mapping: '${mapping}'
`;

const fileOut = (path: string) => `
output:
  file:
    path: ${path}
    codec: lines
`;

describe("processors", () => {
  it("mapping, mutation and bloblang transform structured content and metadata", async () => {
    const out = join(tempDir(), "out.jsonl");
    await runToEnd(`
${gen(3, 'root = {"id": counter(), "name": "n", "drop_me": true}')}
pipeline:
  threads: 1
  processors:
    - mapping: |
        root = this
        root.double = this.id * 2
        meta kind = "even"
        root = if this.id == 2 { deleted() }
    - mutation: |
        root.drop_me = deleted()
        root.kind = @kind
    - bloblang: 'root = this'
${fileOut(out)}
`);
    expect(readLines(out).map((l) => JSON.parse(l))).toEqual([
      { id: 1, name: "n", double: 2, kind: "even" },
      { id: 3, name: "n", double: 6, kind: "even" },
    ]);
  });

  it("switch routes messages by check, with fallthrough", async () => {
    const out = join(tempDir(), "out.jsonl");
    await runToEnd(`
${gen(4, 'root = {"n": counter()}')}
pipeline:
  threads: 1
  processors:
    - switch:
        - check: this.n == 1
          processors:
            - mapping: 'root = this.merge({"case": "one"})'
        - check: this.n == 2
          fallthrough: true
          processors:
            - mapping: 'root = this.merge({"two": true})'
        - check: this.n >= 3
          processors:
            - mapping: 'root = this.merge({"case": "big"})'
${fileOut(out)}
`);
    const got = readLines(out).map((l) => JSON.parse(l));
    expect(got).toEqual([
      { n: 1, case: "one" },
      { n: 2, two: true, case: "big" },
      { n: 3, case: "big" },
      { n: 4, case: "big" },
    ]);
  });

  it("branch maps a request out and the result back in", async () => {
    const out = join(tempDir(), "out.jsonl");
    await runToEnd(`
${gen(2, 'root = {"id": counter(), "keep": "yes"}')}
pipeline:
  threads: 1
  processors:
    - branch:
        request_map: 'root.x = this.id'
        processors:
          - mapping: 'root = {"y": this.x * 10}'
        result_map: 'root.result = this.y'
${fileOut(out)}
`);
    expect(readLines(out).map((l) => JSON.parse(l))).toEqual([
      { id: 1, keep: "yes", result: 10 },
      { id: 2, keep: "yes", result: 20 },
    ]);
  });

  it("a failing processor flags the message; try skips the rest; catch handles and clears it", async () => {
    const out = join(tempDir(), "out.jsonl");
    await runToEnd(`
${gen(2, 'root = {"n": counter()}')}
pipeline:
  threads: 1
  processors:
    - try:
        - mapping: 'root = if this.n == 2 { throw("boom") } else { this }'
        - mapping: 'root = this.merge({"tried": true})'
    - catch:
        - mapping: 'root = this.merge({"caught": true})'
    - mapping: 'root = this.merge({"after": true})'
${fileOut(out)}
`);
    expect(readLines(out).map((l) => JSON.parse(l))).toEqual([
      { n: 1, tried: true, after: true },
      { n: 2, caught: true, after: true },
    ]);
  });

  it("split breaks a batch up; dedupe drops repeats through a memory cache", async () => {
    const out = join(tempDir(), "out.jsonl");
    const s = await runToEnd(`
input:
  generate:
    count: 6
    batch_size: 6
    interval: ""
    mapping: 'root = {"k": counter() % 3}'
pipeline:
  threads: 1
  processors:
    - split:
        size: 2
    - dedupe:
        cache: seen
        key: '\${! this.k }'
cache_resources:
  - label: seen
    memory:
      default_ttl: 1m
${fileOut(out)}
`);
    expect(readLines(out).map((l) => JSON.parse(l).k)).toEqual([1, 2, 0]);
    expect(s.metrics()["pipeline.processors.0"]).toMatchObject({ received: 6, sent: 6 });
    expect(s.metrics()["pipeline.processors.1"]).toMatchObject({ received: 6, sent: 3 });
  });

  it("rate_limit paces messages by a local rate limit resource; sleep waits", async () => {
    const out = join(tempDir(), "out.txt");
    const t0 = Date.now();
    await runToEnd(`
${gen(4, 'root = "x"')}
pipeline:
  threads: 1
  processors:
    - rate_limit:
        resource: two_per_200ms
    - sleep:
        duration: 10ms
rate_limit_resources:
  - label: two_per_200ms
    local:
      count: 2
      interval: 200ms
${fileOut(out)}
`);
    // 4 messages at 2 per 200ms need at least one full window between the 2nd and 3rd.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
    expect(readLines(out)).toHaveLength(4);
  });

  it("log writes an interpolated message with fields", async () => {
    logs.length = 0;
    await runToEnd(`
${gen(1, 'root = {"who": "world"}')}
pipeline:
  processors:
    - log:
        level: WARN
        message: 'hello \${! this.who }'
        fields_mapping: 'root.size = content().length()'
output:
  drop: {}
`);
    const entry = logs.find((l) => l.msg === "hello world");
    expect(entry).toMatchObject({ level: "WARN", fields: { size: 15 } });
  });

  it("command runs a program per message (stdin in, stdout out) and flags failures", async () => {
    const dir = tempDir();
    const out = join(dir, "out.txt");
    const script = join(dir, "rev.sh");
    writeFileSync(
      script,
      '#!/bin/sh\nread line\nif [ "$line" = "bad" ]; then echo "no bad input" >&2; exit 3; fi\necho "$line" | rev\n',
      {
        mode: 0o755,
      },
    );
    await runToEnd(`
${gen(3, 'root = if counter() == 2 { "bad" } else { "abc" }')}
pipeline:
  threads: 1
  processors:
    - command:
        name: ${script}
    - catch:
        - mapping: 'root = "failed"'
${fileOut(out)}
`);
    expect(readLines(out)).toEqual(["cba", "failed", "cba"]);
  });

  it("command takes its arguments from args_mapping", async () => {
    const out = join(tempDir(), "out.txt");
    await runToEnd(`
${gen(1, 'root = {"word": "hi"}')}
pipeline:
  processors:
    - command:
        name: echo
        args_mapping: '[ "-n", this.word, "there" ]'
${fileOut(out)}
`);
    expect(readLines(out)).toEqual(["hi there"]);
  });

  it("subprocess keeps one program running and exchanges lines with it", async () => {
    const dir = tempDir();
    const out = join(dir, "out.txt");
    const script = join(dir, "upper.sh");
    // A long-lived filter: one line in, one line out, plus its pid to prove it is one process.
    writeFileSync(script, '#!/bin/sh\nwhile read line; do echo "$$:$line" | tr a-z A-Z; done\n', {
      mode: 0o755,
    });
    await runToEnd(`
${gen(3, 'root = "m" + counter().string()')}
pipeline:
  threads: 1
  processors:
    - subprocess:
        name: ${script}
${fileOut(out)}
`);
    const lines = readLines(out);
    expect(lines.map((l) => l.split(":")[1])).toEqual(["M1", "M2", "M3"]);
    expect(new Set(lines.map((l) => l.split(":")[0])).size).toBe(1);
  });

  it("subprocess is restarted when the program exits", async () => {
    const dir = tempDir();
    const out = join(dir, "out.txt");
    const script = join(dir, "once.sh");
    // Answers one line, then exits: every message needs a fresh process.
    writeFileSync(script, '#!/bin/sh\nread line\necho "ok:$line"\n', { mode: 0o755 });
    await runToEnd(`
${gen(3, "root = counter().string()")}
pipeline:
  threads: 1
  processors:
    - subprocess:
        name: ${script}
${fileOut(out)}
`);
    expect(readLines(out)).toEqual(["ok:1", "ok:2", "ok:3"]);
  });

  // The program's answers, one output line per message: the answer, or the processing error.
  const subprocessAnswers = async (script: string, fields: string, inputs: string[]) => {
    const dir = tempDir();
    const out = join(dir, "out.txt");
    const program = join(dir, "program.sh");
    writeFileSync(program, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    await runToEnd(`
input:
  generate:
    count: ${inputs.length}
    interval: ""
    mapping: 'root = ${JSON.stringify(inputs)}.index(counter() - 1)'
pipeline:
  threads: 1
  processors:
    - subprocess:
        name: ${program}
${fields}
    - catch:
        - mapping: 'root = "error: " + error()'
${fileOut(out)}
`);
    return readLines(out);
  };

  it("subprocess with codec_recv netstring: a malformed length fails that message, the next gets a fresh program", async () => {
    const lines = await subprocessAnswers(
      `while read line; do
  case "$line" in
    bad) printf 'abc:xyz,' ;;
    *) printf '%d:%s,' "\${#line}" "$line" ;;
  esac
done`,
      "        codec_recv: netstring",
      ["a", "bad", "c"],
    );
    expect(lines).toEqual([
      "a",
      "error: invalid netstring from subprocess: unable to decode length 'abc'",
      "c",
    ]);
  });

  it("subprocess: an answer larger than max_buffer fails its message (bounded), for every codec", async () => {
    const big = (codec: string) =>
      `while read line; do
  if [ "$line" = big ]; then n=5000; else n=3; fi
  ${codec}
done`;
    const fields = (codec: string) => `        max_buffer: 1024\n        codec_recv: ${codec}`;
    expect(
      await subprocessAnswers(big(`head -c $n /dev/zero | tr '\\0' x; echo`), fields("lines"), [
        "a",
        "big",
        "c",
      ]),
    ).toEqual(["xxx", "error: subprocess response is larger than max_buffer (1024 bytes)", "xxx"]);
    expect(
      await subprocessAnswers(
        big(`printf '%d:' $n; head -c $n /dev/zero | tr '\\0' x; printf ','`),
        fields("netstring"),
        ["a", "big", "c"],
      ),
    ).toEqual(["xxx", "error: subprocess response is larger than max_buffer (1024 bytes)", "xxx"]);
    expect(
      await subprocessAnswers(
        big(`if [ $n = 3 ]; then printf '\\000\\000\\000\\003'; else printf '\\000\\000\\023\\210'; fi
  head -c $n /dev/zero | tr '\\0' x`),
        fields("length_prefixed_uint32_be"),
        ["a", "big", "c"],
      ),
    ).toEqual(["xxx", "error: subprocess response is larger than max_buffer (1024 bytes)", "xxx"]);
  });

  it("workflow runs branches as a DAG inferred from request/result maps and records meta", async () => {
    const out = join(tempDir(), "out.jsonl");
    await runToEnd(`
${gen(1, 'root = {"id": 5}')}
pipeline:
  processors:
    - workflow:
        meta_path: meta.workflow
        branches:
          second:
            request_map: 'root = this.first_result'
            processors:
              - mapping: 'root = this + 1'
            result_map: 'root.second_result = this'
          first:
            request_map: 'root = this.id'
            processors:
              - mapping: 'root = this * 2'
            result_map: 'root.first_result = this'
${fileOut(out)}
`);
    const [doc] = readLines(out).map((l) => JSON.parse(l));
    expect(doc).toMatchObject({ id: 5, first_result: 10, second_result: 11 });
    expect(doc.meta.workflow.succeeded.sort()).toEqual(["first", "second"]);
  });

  it("workflow with explicit order and a branch resource", async () => {
    const out = join(tempDir(), "out.jsonl");
    await runToEnd(`
${gen(1, 'root = {"id": 1}')}
pipeline:
  processors:
    - workflow:
        order: [ [ a ], [ b ] ]
        branch_resources: [ b ]
        branches:
          a:
            processors:
              - mapping: 'root = {"v": 1}'
            result_map: 'root.a = this.v'
processor_resources:
  - label: b
    branch:
      request_map: 'root = this.a'
      processors:
        - mapping: 'root = this + 100'
      result_map: 'root.b = this'
${fileOut(out)}
`);
    const [doc] = readLines(out).map((l) => JSON.parse(l));
    expect(doc).toMatchObject({ id: 1, a: 1, b: 101 });
  });
});

describe("error functions", () => {
  it("error() and errored() see the processing error (catch logging, switch output to a dead-letter file)", async () => {
    const dir = tempDir();
    logs.length = 0;
    await runToEnd(`
input:
  generate:
    count: 3
    interval: ""
    mapping: 'root = {"n": counter()}'
pipeline:
  threads: 1
  processors:
    - mapping: 'root = if this.n == 2 { throw("two is not allowed") } else { this }'
    - log:
        level: WARN
        message: 'n=\${! this.n } errored=\${! errored() } error=\${! error() }'
    - mapping: |
        root = this
        root.failed = errored()
        meta seen = "yes"
output:
  switch:
    cases:
      - check: errored()
        output:
          file: { path: ${dir}/dlq.txt }
      - output:
          file: { path: ${dir}/ok.txt }
`);
    expect(readLines(join(dir, "ok.txt")).map((l) => JSON.parse(l))).toEqual([
      { n: 1, failed: false },
      { n: 3, failed: false },
    ]);
    // The failed message keeps its original content (the later mapping ran but flagged nothing new).
    expect(readLines(join(dir, "dlq.txt")).map((l) => JSON.parse(l))).toEqual([{ n: 2, failed: true }]);
    expect(logs.map((l) => l.msg)).toContain(
      "n=2 errored=true error=failed assignment (line 1): two is not allowed",
    );
    expect(logs.map((l) => l.msg)).toContain("n=1 errored=false error=null");
  });
});

describe("cache, for_each, processors, parallel", () => {
  it("cache set/get joins messages through a memory cache", async () => {
    const out = join(tempDir(), "out.txt");
    await runToEnd(`
input:
  generate:
    count: 4
    interval: ""
    mapping: |
      let n = counter()
      root = if $n <= 2 { {"kind": "user", "id": $n, "name": "u" + $n.string()} } else { {"kind": "order", "user": $n - 2} }
pipeline:
  threads: 1
  processors:
    - switch:
        - check: this.kind == "user"
          processors:
            - cache:
                resource: users
                operator: set
                key: '\${! this.id }'
                value: '\${! this.name }'
            - mapping: 'root = deleted()'
        - processors:
            - branch:
                request_map: 'root = this'
                processors:
                  - cache:
                      resource: users
                      operator: get
                      key: '\${! this.user }'
                result_map: 'root.user_name = content().string()'
            - for_each:
                - mapping: 'root = this.user_name + " ordered"'
cache_resources:
  - label: users
    memory: {}
${fileOut(out)}
`);
    expect(readLines(out)).toEqual(["u1 ordered", "u2 ordered"]);
  });

  it("parallel runs messages through child processors concurrently; processors groups a list", async () => {
    const out = join(tempDir(), "out.txt");
    const t0 = Date.now();
    await runToEnd(`
input:
  generate:
    count: 4
    batch_size: 4
    interval: ""
    mapping: 'root = counter().string()'
pipeline:
  threads: 1
  processors:
    - parallel:
        cap: 4
        processors:
          - sleep: { duration: 200ms }
          - processors:
              - mapping: 'root = content().string() + "!"'
${fileOut(out)}
`);
    // Four 200ms sleeps at once, not one after another.
    expect(Date.now() - t0).toBeLessThan(700);
    expect(readLines(out)).toEqual(["1!", "2!", "3!", "4!"]);
  });
});

describe("compress / decompress", () => {
  it("round-trips content through each algorithm; gzip output is real gzip", async () => {
    const dir = tempDir();
    await runToEnd(`
input:
  generate:
    count: 1
    interval: ""
    mapping: 'root = "hello hello hello hello"'
pipeline:
  processors:
    - compress: { algorithm: zlib }
    - decompress: { algorithm: zlib }
    - compress: { algorithm: flate, level: 9 }
    - decompress: { algorithm: flate }
    - compress: { algorithm: gzip }
output:
  file:
    path: ${dir}/out.gz
    codec: all-bytes
`);
    expect(gunzipSync(readFileSync(join(dir, "out.gz"))).toString()).toBe("hello hello hello hello");
  });
});

describe("archive / unarchive", () => {
  it("unarchive json_array splits a message into a batch; archive lines joins it again", async () => {
    const dir = tempDir();
    await runToEnd(`
input:
  generate:
    count: 1
    interval: ""
    mapping: 'root = [ {"n": 1}, {"n": 2}, {"n": 3} ]'
pipeline:
  processors:
    - unarchive: { format: json_array }
    - mapping: 'root = this.n * 10'
    - archive: { format: lines }
output:
  file:
    path: ${dir}/out.txt
`);
    expect(readLines(join(dir, "out.txt"))).toEqual(["10", "20", "30"]);
  });

  it("unarchive json_map keeps keys as archive_filename metadata", async () => {
    const dir = tempDir();
    await runToEnd(`
input:
  generate:
    count: 1
    interval: ""
    mapping: 'root = {"a": 1, "b": 2}'
pipeline:
  processors:
    - unarchive: { format: json_map }
    - mapping: 'root = @archive_filename + "=" + content().string()'
output:
  file:
    path: ${dir}/out.txt
`);
    expect(readLines(join(dir, "out.txt")).sort()).toEqual(["a=1", "b=2"]);
  });
});

describe("archive json_array", () => {
  it("joins a batch into one JSON array", async () => {
    const dir = tempDir();
    await runToEnd(`
input:
  generate:
    count: 3
    batch_size: 3
    interval: ""
    mapping: 'root = {"n": counter()}'
pipeline:
  processors:
    - archive: { format: json_array }
output:
  file:
    path: ${dir}/out.txt
`);
    expect(readLines(join(dir, "out.txt")).map((l) => JSON.parse(l))).toEqual([
      [{ n: 1 }, { n: 2 }, { n: 3 }],
    ]);
  });
});
