// `http_server`: each request becomes a message; the response is sent once the message was
// delivered (acked), with the body set by a `sync_response` output or processor when one exists.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { InterpolatedString } from "../../blobl";
import { parseDuration } from "../../duration";
import { Message, type SyncResponseContext } from "../../message";
import type { BuildContext } from "../../runtime/context";
import { metadataFilter } from "../../runtime/nats";
import type { Input } from "../../runtime/types";
import { QueueInput } from "./queue";

export interface HttpServerConf {
  address: string;
  path: string;
  allowed_verbs: string[];
  timeout: string;
  rate_limit: string;
  cors: { enabled: boolean; allowed_origins: string[] };
  sync_response: {
    status: string;
    headers: Record<string, string>;
    metadata_headers: { include_prefixes: string[]; include_patterns: string[] };
  };
}

class HttpServerInput extends QueueInput {
  private readonly status: InterpolatedString;
  private readonly headers: [string, InterpolatedString][];
  private readonly metaHeader: (k: string) => boolean;
  private readonly timeoutMs: number;
  private stopped = false;

  constructor(
    private readonly conf: HttpServerConf,
    private readonly ctx: BuildContext,
  ) {
    // Bounded: a full queue makes request handlers wait (backpressure onto clients).
    super(64);
    this.status = new InterpolatedString(conf.sync_response.status);
    this.headers = Object.entries(conf.sync_response.headers).map(([k, v]) => [k, new InterpolatedString(v)]);
    this.metaHeader = metadataFilter(conf.sync_response.metadata_headers);
    this.timeoutMs = parseDuration(conf.timeout);
  }

  async connect(): Promise<void> {
    const shared = !this.conf.address;
    const address = this.conf.address || this.ctx.config.http.address;
    await this.ctx.http.route(address, this.conf.path, (req, res) => void this.handle(req, res), shared);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.conf.cors.enabled) {
      const origin = req.headers.origin ?? "*";
      const allowed = this.conf.cors.allowed_origins;
      if (!allowed.length || allowed.includes("*") || allowed.includes(origin))
        res.setHeader("Access-Control-Allow-Origin", origin);
      if (req.method === "OPTIONS") {
        res.setHeader("Access-Control-Allow-Methods", this.conf.allowed_verbs.join(", "));
        res.setHeader("Access-Control-Allow-Headers", req.headers["access-control-request-headers"] ?? "*");
        res.statusCode = 204;
        res.end();
        return;
      }
    }
    if (!this.conf.allowed_verbs.includes(req.method ?? "")) {
      res.statusCode = 405;
      res.end("method not allowed\n");
      return;
    }
    if (this.stopped) {
      res.statusCode = 503;
      res.end("server is shutting down\n");
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://localhost");
    const meta: Record<string, unknown> = {
      http_server_user_agent: req.headers["user-agent"] ?? "",
      http_server_request_path: url.pathname,
      http_server_verb: req.method,
      http_server_remote_ip: req.socket.remoteAddress ?? "",
    };
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) meta[k] = Array.isArray(v) ? v[0] : v;
    for (const [k, v] of url.searchParams) meta[k] = v;
    const msg = new Message(new Uint8Array(Buffer.concat(chunks)), meta);
    const sync: SyncResponseContext = { responses: [] };
    msg.syncResponse = sync;

    if (this.conf.rate_limit)
      await this.ctx.resources.rateLimit(this.conf.rate_limit).access(this.ctx.signal);

    let settle!: (err?: Error) => void;
    const acked = new Promise<Error | undefined>((resolve) => (settle = resolve));
    const timer = setTimeout(() => settle(new TimeoutError()), this.timeoutMs);
    const pushed = await this.queue.push({
      batch: [msg],
      ack: async (err) => settle(err),
    });
    if (!pushed) {
      clearTimeout(timer);
      res.statusCode = 503;
      res.end("server is shutting down\n");
      return;
    }
    const err = await acked;
    clearTimeout(timer);
    if (err instanceof TimeoutError) {
      res.statusCode = 408;
      res.end("request timed out\n");
      return;
    }
    if (err) {
      res.statusCode = 500;
      res.end(err.message + "\n");
      return;
    }
    this.respond(res, sync.responses[0]);
  }

  private respond(res: ServerResponse, batch: Message[] | undefined): void {
    if (!batch?.length) {
      res.statusCode = 200;
      res.end();
      return;
    }
    try {
      res.statusCode = Number(this.status.render(batch, 0)) || 200;
      for (const [k, v] of this.headers) res.setHeader(k, v.render(batch, 0));
      for (const [k, v] of Object.entries(batch[0].metadata))
        if (this.metaHeader(k)) res.setHeader(k, String(v));
    } catch (err) {
      this.ctx.logger.error(`http_server: sync_response: ${(err as Error).message}`);
    }
    if (batch.length === 1) {
      res.end(Buffer.from(batch[0].content));
      return;
    }
    // Several response messages make a multipart body, one part per message (as Benthos does).
    const boundary = `reef-${randomUUID()}`;
    const partType = String(res.getHeader("content-type") ?? "application/octet-stream");
    res.setHeader("content-type", `multipart/mixed; boundary=${boundary}`);
    const parts = batch.flatMap((m) => [
      Buffer.from(`--${boundary}\r\nContent-Type: ${partType}\r\n\r\n`),
      Buffer.from(m.content),
      Buffer.from("\r\n"),
    ]);
    res.end(Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]));
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    await super.stop();
  }
}

class TimeoutError extends Error {}

export const httpServerInput = (c: HttpServerConf, ctx: BuildContext): Input => new HttpServerInput(c, ctx);
