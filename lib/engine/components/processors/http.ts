// The `http` processor: each message is sent as a request and replaced by the response body, with
// `http_status_code` and the response headers chosen by `extract_headers` as metadata. A request that
// still fails after its retries flags the error on the (unchanged) message.
import type { Message } from "../../message";
import type { BuildContext } from "../../runtime/context";
import { metadataFilter } from "../../runtime/nats";
import type { Processor } from "../../runtime/types";
import { HttpStatusError, httpRequester, type HttpRequestConf } from "../outputs/http-client";
import { flagError } from "./run";

export function httpProcessor(
  conf: HttpRequestConf & {
    parallel: boolean;
    extract_headers: { include_prefixes: string[]; include_patterns: string[] };
  },
  ctx: BuildContext,
): Processor {
  const request = httpRequester(conf, ctx);
  const extract = metadataFilter(conf.extract_headers);
  const one = async (msg: Message, batch: Message[], i: number) => {
    try {
      const answer = await request(batch, i);
      msg.setContent(answer.body);
      msg.metadata.http_status_code = answer.status;
      for (const [k, v] of Object.entries(answer.headers)) if (extract(k)) msg.metadata[k] = v;
    } catch (err) {
      if (err instanceof HttpStatusError) msg.metadata.http_status_code = err.status;
      flagError(msg, err);
    }
  };
  return {
    async process(batch) {
      if (conf.parallel) await Promise.all(batch.map((m, i) => one(m, batch, i)));
      else for (let i = 0; i < batch.length; i++) await one(batch[i], batch, i);
      return [batch];
    },
  };
}
