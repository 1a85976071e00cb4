// HTTP requests per message, shared by the `http_client` output and the `http` processor: one request
// per message (Benthos's default without batch_as_multipart), retries with backoff, and the
// drop_on / successful_on / backoff_on status lists.
import { InterpolatedString } from "../../blobl";
import { parseDuration } from "../../duration";
import { Message, type Batch } from "../../message";
import { sleep } from "../../runtime/async";
import type { BuildContext } from "../../runtime/context";
import { metadataFilter } from "../../runtime/nats";
import type { Output } from "../../runtime/types";

export interface HttpRequestConf {
  url: string;
  verb: string;
  headers: Record<string, string>;
  metadata: { include_prefixes: string[]; include_patterns: string[] };
  basic_auth: { enabled: boolean; username: string; password: string };
  rate_limit: string;
  timeout: string;
  retry_period: string;
  max_retry_backoff: string;
  retries: number;
  backoff_on: number[];
  drop_on: number[];
  successful_on: number[];
  follow_redirects: boolean;
}

export interface HttpClientConf extends HttpRequestConf {
  batch_as_multipart: boolean;
  propagate_response: boolean;
  max_in_flight: number;
}

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`HTTP request returned unexpected response code (${status}): ${body.slice(0, 200)}`);
  }
}

export interface HttpAnswer {
  status: number;
  body: Uint8Array;
  headers: Record<string, string>;
  /** True when the status was in drop_on: not a success, but not to be retried or failed. */
  dropped: boolean;
}

/** Builds the per-message request function; it resolves with the answer or rejects after retries. */
export function httpRequester(
  conf: HttpRequestConf,
  ctx: BuildContext,
): (batch: Batch, i: number) => Promise<HttpAnswer> {
  const url = new InterpolatedString(conf.url);
  const hdrs = Object.entries(conf.headers).map(([k, v]) => [k, new InterpolatedString(v)] as const);
  const include = metadataFilter(conf.metadata);
  const timeoutMs = parseDuration(conf.timeout);
  const retryMs = parseDuration(conf.retry_period);
  const maxBackoffMs = parseDuration(conf.max_retry_backoff);
  const auth = conf.basic_auth.enabled
    ? "Basic " + Buffer.from(`${conf.basic_auth.username}:${conf.basic_auth.password}`).toString("base64")
    : undefined;

  return async (batch, i) => {
    const msg = batch[i];
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(msg.metadata)) if (include(k)) headers[k] = String(v);
    for (const [k, v] of hdrs) headers[k] = v.render(batch, i);
    if (auth) headers.authorization = auth;
    const target = url.render(batch, i);
    let lastErr: Error = new Error("no attempt made");
    for (let attempt = 0; attempt <= conf.retries; attempt++) {
      if (attempt > 0) await sleep(Math.min(maxBackoffMs, retryMs * 2 ** (attempt - 1)), ctx.signal);
      if (ctx.signal.aborted && attempt > 0) break;
      if (conf.rate_limit) await ctx.resources.rateLimit(conf.rate_limit).access(ctx.signal);
      try {
        const res = await fetch(target, {
          method: conf.verb,
          headers,
          body: conf.verb === "GET" || conf.verb === "HEAD" ? undefined : msg.content,
          // A stream stopped past its shutdown timeout aborts requests still hanging.
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ctx.signal]),
          redirect: conf.follow_redirects ? "follow" : "manual",
        });
        const body = new Uint8Array(await res.arrayBuffer());
        const ok = conf.successful_on.includes(res.status) || (res.status >= 200 && res.status < 300);
        if (ok || conf.drop_on.includes(res.status)) {
          const answerHeaders: Record<string, string> = {};
          res.headers.forEach((v, k) => (answerHeaders[k] = v));
          return { status: res.status, body, headers: answerHeaders, dropped: !ok };
        }
        lastErr = new HttpStatusError(res.status, new TextDecoder().decode(body));
        // Without an explicit backoff_on match, 4xx answers will not get better by retrying.
        if (res.status >= 400 && res.status < 500 && !conf.backoff_on.includes(res.status)) break;
      } catch (err) {
        lastErr = err instanceof Error ? err : new Error(String(err));
      }
    }
    throw lastErr;
  };
}

export function httpClientOutput(conf: HttpClientConf, ctx: BuildContext): Output {
  const request = httpRequester(conf, ctx);
  const sendOne = async (batch: Batch, i: number): Promise<void> => {
    const msg = batch[i];
    const answer = await request(batch, i);
    if (answer.dropped) {
      ctx.logger.warn(`http_client: dropping message after status ${answer.status}`);
      return;
    }
    if (conf.propagate_response && msg.syncResponse)
      msg.syncResponse.responses.push([
        new Message(answer.body, { http_status_code: answer.status, ...answer.headers }),
      ]);
  };
  return {
    maxInFlight: conf.max_in_flight,
    async connect() {},
    async write(batch) {
      const results = await Promise.allSettled(batch.map((_, i) => sendOne(batch, i)));
      const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
    },
    async close() {},
  };
}
