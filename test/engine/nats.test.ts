import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { join } from "node:path";
import { AckPolicy, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, portAnswers } from "../../lib/local/nats-server";
import { logs, readLines, start, tempDir, uid, waitFor } from "./helpers";

let nc: NatsConnection;
let jsm: JetStreamManager;
const url = () => process.env.NATS_URL!;

beforeAll(async () => {
  nc = await connect({ servers: url() });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await nc?.drain();
});

const enc = new TextEncoder();
const dec = new TextDecoder();

async function createStream(subjects: string[]): Promise<string> {
  const name = `S_${uid()}`;
  await jsm.streams.add({ name, subjects });
  return name;
}

describe("nats", () => {
  it("a core nats input behind a stalled output pauses past its queue bound, resumes, and loses nothing", async () => {
    const id = uid();
    const N = 10_000;
    const held: (() => void)[] = [];
    let stalled = true;
    let delivered = 0;
    const port = await freePort();
    const srv = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const answer = () => {
          delivered += Buffer.concat(chunks).toString().split("\n").filter(Boolean).length;
          res.end("ok");
        };
        if (stalled) held.push(answer);
        else answer();
      });
    });
    await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
    const s = await start(`
input:
  nats:
    urls: [${url()}]
    subject: bp.${id}
pipeline:
  threads: 1
output:
  http_client:
    url: http://127.0.0.1:${port}/in
    max_in_flight: 4
    batching:
      count: 100
      period: 5ms
      processors: [ { archive: { format: lines } } ]
`);
    try {
      for (let i = 0; i < N; i++) nc.publish(`bp.${id}`, enc.encode(`{"i":${i}}`));
      await nc.flush();
      await waitFor(() => held.length > 0 && s.metrics().input.received >= 64, "the output stalled");
      // The server has every message; the stalled pipeline must not pull them all into memory.
      await new Promise((r) => setTimeout(r, 500));
      expect(s.metrics().input.received).toBeLessThan(N / 2);
      stalled = false;
      held.splice(0).forEach((f) => f());
      await waitFor(() => delivered === N, `all ${N} messages delivered`, 30_000);
    } finally {
      await s.stop(2000);
      srv.close();
    }
  });

  it("nats → mapping → nats moves messages and carries headers as metadata", async () => {
    const id = uid();
    const got: { data: string; subject: string; h?: string }[] = [];
    const sub = nc.subscribe(`out.${id}.>`, {
      callback: (_e, m) => {
        got.push({ data: dec.decode(m.data), subject: m.subject, h: m.headers?.get("x-trace") });
      },
    });
    const s = await start(`
input:
  nats:
    urls: [${url()}]
    subject: in.${id}
pipeline:
  processors:
    - mapping: |
        root.n = this.n + 1
        root.from = @nats_subject
output:
  nats:
    urls: [${url()}]
    subject: 'out.${id}.\${! this.n }'
    metadata:
      include_patterns: [ "^x-" ]
`);
    const h = headers();
    h.set("x-trace", "t1");
    for (let i = 0; i < 5; i++) nc.publish(`in.${id}`, enc.encode(JSON.stringify({ n: i })), { headers: h });
    await waitFor(() => got.length === 5, "5 output messages");
    await s.stop();
    sub.unsubscribe();
    expect(got.map((g) => JSON.parse(g.data))).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ n: i + 1, from: `in.${id}` })),
    );
    expect(got.map((g) => g.subject)).toEqual([1, 2, 3, 4, 5].map((i) => `out.${id}.${i}`));
    expect(got.every((g) => g.h === "t1")).toBe(true);
    expect(s.metrics().output).toMatchObject({ received: 5, sent: 5, errors: 0 });
  });

  it("replicas with the same queue share the work: each message is handled once", async () => {
    const id = uid();
    const got: string[] = [];
    const sub = nc.subscribe(`q.out.${id}`, {
      callback: (_e, m) => {
        got.push(dec.decode(m.data));
      },
    });
    const yaml = `
input:
  nats:
    urls: [${url()}]
    subject: q.in.${id}
    queue: workers
output:
  nats:
    urls: [${url()}]
    subject: q.out.${id}
`;
    const a = await start(yaml);
    const b = await start(yaml);
    for (let i = 0; i < 100; i++) nc.publish(`q.in.${id}`, enc.encode(String(i)));
    await waitFor(() => got.length >= 100, "100 messages");
    await nc.flush();
    await Promise.all([a.stop(), b.stop()]);
    sub.unsubscribe();
    expect(got.sort((x, y) => Number(x) - Number(y))).toEqual(
      Array.from({ length: 100 }, (_, i) => String(i)),
    );
    // Both replicas took part.
    expect(a.metrics().input.received).toBeGreaterThan(0);
    expect(b.metrics().input.received).toBeGreaterThan(0);
  });
});

describe("nats output", () => {
  it("confirms a write only once the server has it (grouped flushes, at most max_in_flight at once)", async () => {
    const id = uid();
    const got = new Set<string>();
    const sub = nc.subscribe(`g.out.${id}`, { callback: (_e, m) => void got.add(dec.decode(m.data)) });
    await nc.flush();
    const s = await start(`
input:
  nats:
    urls: [${url()}]
    subject: g.in.${id}
    send_ack: true
pipeline:
  processors:
    - mapping: root = content().uppercase()
output:
  nats:
    urls: [${url()}]
    subject: g.out.${id}
    max_in_flight: 1
`);
    const N = 500;
    // The input answers +ACK only after the output's write was confirmed: the server routed the
    // output message (to this connection, before the +ACK) before it answered the flush.
    const early: string[] = [];
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const r = await nc.request(`g.in.${id}`, enc.encode(`m${i}`), { timeout: 20_000 });
        expect(dec.decode(r.data)).toBe("+ACK");
        if (!got.has(`M${i}`)) early.push(`M${i}`);
      }),
    );
    await s.stop();
    sub.unsubscribe();
    expect(early).toEqual([]);
    expect(got.size).toBe(N);
    expect(s.metrics().output).toMatchObject({ received: N, sent: N, errors: 0 });
  });
});

describe("nats slow consumer", () => {
  it("drops messages past prefetch_count instead of queueing without bound", async () => {
    const id = uid();
    logs.length = 0;
    const s = await start(`
input:
  nats:
    urls: [${url()}]
    subject: slow.${id}
    prefetch_count: 5
pipeline:
  threads: 1
  processors:
    - sleep:
        duration: 50ms
output:
  drop: {}
`);
    for (let i = 0; i < 100; i++) nc.publish(`slow.${id}`, enc.encode(String(i)));
    await nc.flush();
    await waitFor(() => logs.some((l) => /slow consumer/.test(l.msg)), "slow consumer warning");
    await s.stop(5000);
    const received = s.metrics().input.received;
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(20);
  });
});

describe("nats send_ack", () => {
  it("answers a request with +ACK once the message was delivered", async () => {
    const id = uid();
    const out = join(tempDir(), "out.txt");
    const s = await start(`
input:
  nats:
    urls: [${url()}]
    subject: ack.${id}
output:
  file:
    path: ${out}
`);
    const reply = await nc.request(`ack.${id}`, enc.encode("payload"), { timeout: 5000 });
    expect(dec.decode(reply.data)).toBe("+ACK");
    expect(readLines(out)).toEqual(["payload"]);
    await s.stop();
  });
});

describe("nats_jetstream", () => {
  it("acks after delivery; a failed delivery is nak'ed and redelivered", async () => {
    const id = uid();
    const stream = await createStream([`js.${id}.>`]);
    const out = join(tempDir(), "out.jsonl");
    // First delivery of every message is rejected by the output; the redelivery goes to the file.
    const s = await start(`
input:
  nats_jetstream:
    urls: [${url()}]
    subject: js.${id}.in
    durable: d_${id}
    ack_wait: 2s
pipeline:
  processors:
    - mapping: 'root = {"body": content().string(), "delivered": @nats_num_delivered}'
output:
  switch:
    cases:
      - check: '@nats_num_delivered == "1"'
        output:
          reject: 'first attempt fails'
      - output:
          file:
            path: ${out}
`);
    const js = (await import("@nats-io/jetstream")).jetstream(nc);
    for (let i = 0; i < 3; i++) await js.publish(`js.${id}.in`, enc.encode(`m${i}`));
    await waitFor(() => readLines(out).length === 3, "3 redelivered messages in the file");
    const info = await waitFor(async () => {
      const ci = await jsm.consumers.info(stream, `d_${id}`);
      return ci.num_ack_pending === 0 && ci.num_pending === 0 ? ci : undefined;
    }, "consumer fully acked");
    await s.stop();
    expect(info?.num_ack_pending).toBe(0);
    const docs = readLines(out).map((l) => JSON.parse(l));
    expect(docs.map((d) => d.body).sort()).toEqual(["m0", "m1", "m2"]);
    expect(docs.every((d) => d.delivered === "2")).toBe(true);
  });

  it("a durable consumer resumes where it stopped: acked messages are not read again", async () => {
    const id = uid();
    await createStream([`jr.${id}`]);
    const out = join(tempDir(), "out.txt");
    const yaml = `
input:
  nats_jetstream:
    urls: [${url()}]
    subject: jr.${id}
    durable: resume_${id}
output:
  file:
    path: ${out}
`;
    const js = (await import("@nats-io/jetstream")).jetstream(nc);
    for (let i = 0; i < 3; i++) await js.publish(`jr.${id}`, enc.encode(`a${i}`));
    const s1 = await start(yaml);
    await waitFor(() => readLines(out).length === 3, "first 3");
    await s1.stop();
    for (let i = 0; i < 2; i++) await js.publish(`jr.${id}`, enc.encode(`b${i}`));
    const s2 = await start(yaml);
    await waitFor(() => readLines(out).length === 5, "next 2");
    await s2.stop();
    expect(readLines(out)).toEqual(["a0", "a1", "a2", "b0", "b1"]);
  });

  it("graceful stop drains in-flight messages and acks them", async () => {
    const id = uid();
    const stream = await createStream([`jd.${id}`]);
    const out = join(tempDir(), "out.txt");
    const js = (await import("@nats-io/jetstream")).jetstream(nc);
    for (let i = 0; i < 4; i++) await js.publish(`jd.${id}`, enc.encode(`m${i}`));
    const s = await start(`
input:
  nats_jetstream:
    urls: [${url()}]
    subject: jd.${id}
    durable: drain_${id}
pipeline:
  threads: 4
  processors:
    - sleep:
        duration: 400ms
output:
  file:
    path: ${out}
`);
    await waitFor(() => (s.metrics().input?.received ?? 0) === 4, "4 messages read");
    expect(readLines(out)).toHaveLength(0);
    await s.stop(10_000);
    expect(readLines(out).sort()).toEqual(["m0", "m1", "m2", "m3"]);
    const ci = await jsm.consumers.info(stream, `drain_${id}`);
    expect(ci.num_ack_pending).toBe(0);
    expect(ci.num_pending).toBe(0);
  });

  it("a stop that times out leaves unfinished messages unacked, so they are redelivered", async () => {
    const id = uid();
    const stream = await createStream([`jt.${id}`]);
    const js = (await import("@nats-io/jetstream")).jetstream(nc);
    await js.publish(`jt.${id}`, enc.encode("slow"));
    const s = await start(`
input:
  nats_jetstream:
    urls: [${url()}]
    subject: jt.${id}
    durable: t_${id}
    ack_wait: 1s
pipeline:
  processors:
    - sleep:
        duration: 30s
output:
  drop: {}
`);
    await waitFor(() => (s.metrics().input?.received ?? 0) === 1, "message read");
    const t0 = Date.now();
    await s.stop(200);
    expect(Date.now() - t0).toBeLessThan(5_000);
    const ci = await jsm.consumers.info(stream, `t_${id}`);
    expect(ci.num_ack_pending + ci.num_redelivered + ci.num_pending).toBeGreaterThan(0);
    expect(ci.ack_floor.stream_seq).toBe(0);
  });

  it("nats_jetstream output publishes with PubAck and headers from metadata", async () => {
    const id = uid();
    const stream = await createStream([`jo.${id}.>`]);
    const s = await start(`
input:
  generate:
    count: 3
    interval: ""
    mapping: |
      root = {"i": counter()}
      meta tenant = "acme"
output:
  nats_jetstream:
    urls: [${url()}]
    subject: 'jo.${id}.\${! this.i }'
    headers:
      Tenant: '\${! @tenant }'
`);
    await s.done;
    const info = await jsm.streams.info(stream);
    expect(info.state.messages).toBe(3);
    const m = await jsm.streams.getMessage(stream, { seq: 2 });
    expect(m!.subject).toBe(`jo.${id}.2`);
    expect(m!.header.get("Tenant")).toBe("acme");
    expect(JSON.parse(dec.decode(m!.data))).toEqual({ i: 2 });
  });
});

describe("nats_kv", () => {
  it("watches a bucket (existing and new values) and writes to a bucket", async () => {
    const id = uid();
    const kvm = new Kvm(nc);
    const src = await kvm.create(`src_${id}`);
    const dst = await kvm.create(`dst_${id}`);
    await src.put("a.one", enc.encode("1"));
    const s = await start(`
input:
  nats_kv:
    urls: [${url()}]
    bucket: src_${id}
    key: 'a.>'
pipeline:
  processors:
    - mapping: 'root = content().string() + "@" + @nats_kv_operation + "#" + @nats_kv_revision'
output:
  nats_kv:
    urls: [${url()}]
    bucket: dst_${id}
    key: '\${! @nats_kv_key }'
`);
    await src.put("a.two", enc.encode("2"));
    await src.put("b.other", enc.encode("x"));
    await waitFor(async () => (await dst.get("a.two"))?.string(), "a.two copied");
    await s.stop();
    expect((await dst.get("a.one"))?.string()).toBe("1@PUT#1");
    expect((await dst.get("a.two"))?.string()).toBe("2@PUT#2");
    expect(await dst.get("b.other")).toBeNull();
  });
});

describe("auth", () => {
  it("uses NATS_TOKEN from the environment when a component sets no auth", async () => {
    const port = await freePort();
    const child = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port), "--auth", "s3cret"], {
      stdio: "ignore",
    });
    try {
      await waitFor(() => portAnswers("127.0.0.1", port), "token nats-server up");
      const yaml = `
input:
  generate:
    count: 1
    interval: ""
    mapping: 'root = "hi"'
output:
  nats:
    urls: [nats://127.0.0.1:${port}]
    subject: auth.test
`;
      await expect(start(yaml, { ...process.env, NATS_TOKEN: "" })).rejects.toThrow(/cannot start stream/);
      const s = await start(yaml, { ...process.env, NATS_TOKEN: "s3cret" });
      await s.done;
      expect(s.metrics().output).toMatchObject({ sent: 1, errors: 0 });
    } finally {
      child.kill("SIGTERM");
    }
  });
});

describe("nats_jetstream replicas and failures", () => {
  it("replicas sharing a queue name share one durable consumer: each message is processed once", async () => {
    const id = uid();
    const stream = await createStream([`jq.${id}`]);
    const dir = tempDir();
    const yaml = (n: number) => `
input:
  nats_jetstream:
    urls: [${url()}]
    subject: jq.${id}
    queue: workers_${id}
output:
  file:
    path: ${dir}/replica${n}.txt
`;
    const a = await start(yaml(1));
    const b = await start(yaml(2));
    const js = (await import("@nats-io/jetstream")).jetstream(nc);
    await Promise.all(Array.from({ length: 200 }, (_, i) => js.publish(`jq.${id}`, enc.encode(String(i)))));
    const all = () => [...readLines(join(dir, "replica1.txt")), ...readLines(join(dir, "replica2.txt"))];
    await waitFor(() => all().length >= 200, "200 messages across replicas");
    await waitFor(
      async () => (await jsm.consumers.info(stream, `workers_${id}`)).num_ack_pending === 0,
      "all acked",
    );
    await Promise.all([a.stop(), b.stop()]);
    expect(
      all()
        .map(Number)
        .sort((x, y) => x - y),
    ).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(readLines(join(dir, "replica1.txt")).length).toBeGreaterThan(0);
    expect(readLines(join(dir, "replica2.txt")).length).toBeGreaterThan(0);
  });

  it("binds to an existing consumer with bind: true", async () => {
    const id = uid();
    const stream = await createStream([`jb.${id}`]);
    await jsm.consumers.add(stream, { durable_name: `pre_${id}`, ack_policy: AckPolicy.Explicit });
    const out = join(tempDir(), "out.txt");
    const s = await start(`
input:
  nats_jetstream:
    urls: [${url()}]
    stream: ${stream}
    durable: pre_${id}
    bind: true
output:
  file:
    path: ${out}
`);
    const js = (await import("@nats-io/jetstream")).jetstream(nc);
    await js.publish(`jb.${id}`, enc.encode("bound"));
    await waitFor(() => readLines(out).length === 1, "message via the bound consumer");
    await s.stop();
    expect(readLines(out)).toEqual(["bound"]);
  });

  it("create_stream makes the stream when it does not exist", async () => {
    const id = uid();
    const out = join(tempDir(), "out.txt");
    const s = await start(`
input:
  nats_jetstream:
    urls: [${url()}]
    stream: NEW_${id}
    subject: jn.${id}
    durable: d
    create_stream: true
output:
  file:
    path: ${out}
`);
    expect((await jsm.streams.info(`NEW_${id}`)).config.subjects).toEqual([`jn.${id}`]);
    const js = (await import("@nats-io/jetstream")).jetstream(nc);
    await js.publish(`jn.${id}`, enc.encode("created"));
    await waitFor(() => readLines(out).length === 1, "message from the created stream");
    await s.stop();
  });

  it("ends with an INPUT_FAILED error when its consumer is deleted", async () => {
    const id = uid();
    const stream = await createStream([`jx.${id}`]);
    const s = await start(`
input:
  nats_jetstream:
    urls: [${url()}]
    subject: jx.${id}
    durable: gone_${id}
output:
  drop: {}
`);
    await jsm.consumers.delete(stream, `gone_${id}`);
    await expect(s.done).rejects.toMatchObject({ code: "INPUT_FAILED" });
  });
});

describe("nats_request_reply", () => {
  it("replaces each message with the reply to a request", async () => {
    const id = uid();
    const responder = nc.subscribe(`svc.${id}`, {
      callback: (_e, m) => {
        m.respond(enc.encode(`pong:${dec.decode(m.data)}`));
      },
    });
    const out = join(tempDir(), "out.txt");
    const s = await start(`
input:
  generate:
    count: 2
    interval: ""
    mapping: 'root = "ping" + counter().string()'
pipeline:
  processors:
    - nats_request_reply:
        urls: [${url()}]
        subject: svc.${id}
        timeout: 2s
output:
  file:
    path: ${out}
`);
    await s.done;
    responder.unsubscribe();
    expect(readLines(out).sort()).toEqual(["pong:ping1", "pong:ping2"]);
  });
});

describe("nats_kv processor", () => {
  it("puts, gets and lists keys of a bucket", async () => {
    const id = uid();
    const kv = await new Kvm(nc).create(`proc_${id}`);
    await kv.put("user.1", enc.encode("ada"));
    const out = join(tempDir(), "out.txt");
    const s = await start(`
input:
  generate:
    count: 1
    interval: ""
    mapping: 'root = "grace"'
pipeline:
  processors:
    - nats_kv:
        urls: [${url()}]
        bucket: proc_${id}
        operation: put
        key: user.2
    - branch:
        processors:
          - nats_kv:
              urls: [${url()}]
              bucket: proc_${id}
              operation: get
              key: user.1
        result_map: 'meta first = content().string()'
    - nats_kv:
        urls: [${url()}]
        bucket: proc_${id}
        operation: keys
        key: 'user.>'
    - mapping: 'root = {"keys": this, "first": @first}'
output:
  file:
    path: ${out}
`);
    await s.done;
    expect(JSON.parse(readLines(out)[0])).toEqual({ keys: ["user.1", "user.2"], first: "ada" });
    expect((await kv.get("user.2"))?.string()).toBe("grace");
  });
});
