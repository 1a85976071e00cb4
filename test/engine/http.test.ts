import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../lib/local/nats-server";
import type { RunningStream } from "../../lib/engine";
import { readLines, start, tempDir, waitFor } from "./helpers";

const running: RunningStream[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop(2000)));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function run(yaml: string): Promise<RunningStream> {
  const s = await start(yaml);
  running.push(s);
  return s;
}

/** A real upstream HTTP server on loopback that answers with `reply(n, body)` for the n-th request. */
async function upstream(
  reply: (n: number, body: string, headers: Record<string, unknown>) => { status: number; body: string },
) {
  const port = await freePort();
  const seen: { body: string; headers: Record<string, unknown> }[] = [];
  const srv = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    seen.push({ body, headers: req.headers });
    const r = reply(seen.length, body, req.headers);
    res.statusCode = r.status;
    res.end(r.body);
  });
  await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
  servers.push(srv);
  return { url: `http://127.0.0.1:${port}`, seen };
}

describe("http_server", () => {
  it("answers with the pipeline's result through sync_response, status and headers interpolated", async () => {
    const port = await freePort();
    await run(`
input:
  http_server:
    address: 127.0.0.1:${port}
    path: /echo
    sync_response:
      status: '\${! @status }'
      headers:
        Content-Type: application/json
        X-Who: '\${! @who }'
pipeline:
  processors:
    - mapping: |
        root.got = this
        root.path = @http_server_request_path
        root.q = @q
        meta status = "201"
        meta who = "reef"
output:
  sync_response: {}
`);
    const res = await fetch(`http://127.0.0.1:${port}/echo?q=1`, {
      method: "POST",
      body: JSON.stringify({ a: 1 }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-who")).toBe("reef");
    expect(await res.json()).toEqual({ got: { a: 1 }, path: "/echo", q: "1" });
  });

  it("answers 200 after delivery, 405 for other verbs, 500 when the output rejects", async () => {
    const port = await freePort();
    await run(`
input:
  http_server:
    address: 127.0.0.1:${port}
    path: /in
    allowed_verbs: [ POST, PUT ]
output:
  switch:
    cases:
      - check: 'content() == "bad"'
        output:
          reject: 'rejected \${! content() }'
      - output:
          drop: {}
`);
    const ok = await fetch(`http://127.0.0.1:${port}/in`, { method: "PUT", body: "fine" });
    expect(ok.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/in`, { method: "GET" })).status).toBe(405);
    const bad = await fetch(`http://127.0.0.1:${port}/in`, { method: "POST", body: "bad" });
    expect(bad.status).toBe(500);
    expect(await bad.text()).toMatch(/rejected bad/);
    expect((await fetch(`http://127.0.0.1:${port}/nope`, { method: "POST" })).status).toBe(404);
  });

  it("applies a rate limit resource to requests and answers CORS preflights", async () => {
    const port = await freePort();
    await run(`
input:
  http_server:
    address: 127.0.0.1:${port}
    rate_limit: one_per_300ms
    cors:
      enabled: true
      allowed_origins: [ "https://app.example" ]
rate_limit_resources:
  - label: one_per_300ms
    local:
      count: 1
      interval: 300ms
output:
  drop: {}
`);
    const pre = await fetch(`http://127.0.0.1:${port}/post`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const t0 = Date.now();
    expect((await fetch(`http://127.0.0.1:${port}/post`, { method: "POST", body: "1" })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/post`, { method: "POST", body: "2" })).status).toBe(200);
    // The second request waited for the next rate limit window.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it("times out a request whose message is not delivered in time (408)", async () => {
    const port = await freePort();
    await run(`
input:
  http_server:
    address: 127.0.0.1:${port}
    timeout: 150ms
pipeline:
  processors:
    - sleep:
        duration: 600ms
output:
  drop: {}
`);
    const res = await fetch(`http://127.0.0.1:${port}/post`, { method: "POST", body: "x" });
    expect(res.status).toBe(408);
  });
});

describe("http_client", () => {
  it("posts each message with interpolated url and headers, and retries server errors", async () => {
    const up = await upstream((n) => (n === 1 ? { status: 503, body: "busy" } : { status: 200, body: "ok" }));
    const s = await run(`
input:
  generate:
    count: 2
    interval: ""
    mapping: 'root = {"n": counter()}'
output:
  http_client:
    url: '${up.url}/items/\${! this.n }'
    verb: PUT
    retry_period: 10ms
    headers:
      X-N: '\${! this.n }'
    max_in_flight: 1
`);
    await s.done;
    expect(up.seen.map((r) => r.body)).toEqual(['{"n":1}', '{"n":1}', '{"n":2}']);
    expect(up.seen[2].headers["x-n"]).toBe("2");
    expect(s.metrics().output).toMatchObject({ sent: 2, errors: 0 });
  });

  it("drop_on statuses count as delivered; other 4xx fail the write (and are replayed)", async () => {
    const up = await upstream((_n, body) =>
      body === "gone" ? { status: 410, body: "" } : { status: 400, body: "bad request" },
    );
    const s = await run(`
input:
  generate:
    count: 2
    interval: ""
    mapping: 'root = if counter() == 1 { "gone" } else { "other" }'
output:
  http_client:
    url: '${up.url}/x'
    drop_on: [ 410 ]
    retries: 0
`);
    await waitFor(() => up.seen.filter((r) => r.body === "other").length >= 2, "the failed message replayed");
    expect(up.seen.filter((r) => r.body === "gone")).toHaveLength(1);
    expect(s.metrics().output.errors).toBeGreaterThanOrEqual(1);
  });

  it("propagate_response turns http_server → http_client → sync_response into a proxy", async () => {
    const up = await upstream((_n, body) => ({ status: 200, body: `upstream saw ${body}` }));
    const port = await freePort();
    await run(`
input:
  http_server:
    address: 127.0.0.1:${port}
output:
  http_client:
    url: ${up.url}/
    propagate_response: true
`);
    const res = await fetch(`http://127.0.0.1:${port}/post`, { method: "POST", body: "ping" });
    expect(await res.text()).toBe("upstream saw ping");
  });
});

describe("http processor", () => {
  it("enriches messages through a workflow of http branches (the docs' enrichment pattern)", async () => {
    const up = await upstream((_n, body) => {
      const doc = JSON.parse(body) as { text?: string; claims?: string[] };
      if (doc.text !== undefined)
        return { status: 200, body: JSON.stringify({ claims: doc.text.split(" ").slice(0, 2) }) };
      return { status: 200, body: JSON.stringify({ score: (doc.claims ?? []).length * 0.5 }) };
    });
    const dir = tempDir();
    const s = await run(`
input:
  generate:
    count: 2
    interval: ""
    mapping: 'root = {"article": {"id": counter(), "content": "dogs stopped barking today"}}'
pipeline:
  threads: 1
  processors:
    - workflow:
        meta_path: meta.workflow
        branches:
          claims:
            request_map: 'root.text = this.article.content'
            processors:
              - http:
                  url: ${up.url}/claims
                  verb: POST
            result_map: 'root.tmp.claims = this.claims'
          credibility:
            request_map: 'root.claims = this.tmp.claims'
            processors:
              - http:
                  url: ${up.url}/score
                  verb: POST
            result_map: 'root.article.score = this.score'
output:
  file:
    path: ${dir}/out.jsonl
`);
    await s.done;
    const docs = readLines(`${dir}/out.jsonl`).map((l) => JSON.parse(l));
    expect(docs.map((d) => d.article.score)).toEqual([1, 1]);
    expect(docs[0].tmp.claims).toEqual(["dogs", "stopped"]);
    // credibility needs claims: the inferred order ran claims first for each message.
    expect(up.seen.map((r) => (JSON.parse(r.body).text ? "claims" : "score"))).toEqual([
      "claims",
      "score",
      "claims",
      "score",
    ]);
  });

  it("flags the error and sets http_status_code when the request keeps failing", async () => {
    const up = await upstream(() => ({ status: 404, body: "no such user" }));
    const dir = tempDir();
    const s = await run(`
input:
  generate:
    count: 1
    interval: ""
    mapping: 'root = {"id": 7}'
pipeline:
  processors:
    - http:
        url: '${up.url}/users/\${! this.id }'
        verb: GET
    - catch:
        - mapping: 'root = {"status": @http_status_code, "error": error()}'
output:
  file:
    path: ${dir}/out.jsonl
`);
    await s.done;
    const [doc] = readLines(`${dir}/out.jsonl`).map((l) => JSON.parse(l));
    expect(doc.status).toBe(404);
    expect(doc.error).toMatch(/404/);
    expect(up.seen).toHaveLength(1);
  });
});

describe("stream mechanics over HTTP", () => {
  it("backpressure: a stalled output bounds how much the input reads", async () => {
    const held: (() => void)[] = [];
    const port = await freePort();
    const srv = createServer((req, res) => {
      req.resume();
      held.push(() => res.end("ok"));
    });
    await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
    servers.push(srv);
    const s = await run(`
input:
  generate:
    interval: ""
    mapping: 'root = counter()'
pipeline:
  threads: 1
output:
  http_client:
    url: http://127.0.0.1:${port}/slow
    max_in_flight: 4
    timeout: 30s
`);
    await waitFor(() => held.length === 4, "4 requests in flight");
    await new Promise((r) => setTimeout(r, 300));
    // Reads stop at the bound on unacknowledged transactions instead of growing without limit.
    const read = s.metrics().input.received;
    expect(held.length).toBe(4);
    expect(read).toBeLessThanOrEqual(70);
    held.splice(0).forEach((f) => f());
    await waitFor(() => s.metrics().input.received > read, "reading resumes once the output drains");
    const timer = setInterval(() => held.splice(0).forEach((f) => f()), 5);
    await s.stop(2000);
    clearInterval(timer);
  });

  it("the shared http server (http.address) serves http_server inputs without an address, /ping, /ready, /metrics, /stats", async () => {
    const port = await freePort();
    await run(`
http:
  address: 127.0.0.1:${port}
input:
  http_server:
    path: /ingest
output:
  drop: {}
`);
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/ping`)).text()).toBe("pong");
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    expect((await fetch(`${base}/ingest`, { method: "POST", body: "x" })).status).toBe(200);
    const stats = (await (await fetch(`${base}/stats`)).json()) as Record<string, unknown>;
    expect(stats.input).toMatchObject({ received: 1, sent: 1 });
    // Prometheus text by default, with Benthos's metric names.
    const prom = await (await fetch(`${base}/metrics`)).text();
    expect(prom).toContain('input_received{label="",path="root.input"} 1');
    expect(prom).toContain('output_sent{label="",path="root.output"} 1');
    expect(prom).toMatch(/# TYPE output_latency_ns summary/);
  });
});

describe("bounded shutdown", () => {
  it("stop returns within the timeout even when the output is stuck (memory buffer full)", async () => {
    const port = await freePort();
    const srv = createServer((req) => req.resume()); // never answers
    await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
    servers.push(srv);
    const s = await start(`
input:
  generate:
    interval: ""
    mapping: 'root = "x".repeat(100)'
buffer:
  memory:
    limit: 1000
output:
  http_client:
    url: http://127.0.0.1:${port}/stuck
    timeout: 60s
    max_in_flight: 2
`);
    await waitFor(() => (s.metrics().input?.received ?? 0) > 10, "the buffer filling up");
    const t0 = Date.now();
    await s.stop(300);
    expect(Date.now() - t0).toBeLessThan(3000);
    srv.closeAllConnections();
  });
});
