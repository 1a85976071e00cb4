// Builds outputs from their normalised configs, wrapped with metrics, batching and max_in_flight.
import type { ComponentConfig } from "../../config/types";
import type { BuildContext } from "../../runtime/context";
import type { Output } from "../../runtime/types";
import { buildProcessor } from "../processors";
import { dropOutput, fileOutput, rejectOutput, stdoutOutput, syncResponseOutput } from "./basic";
import { httpClientOutput } from "./http-client";
import { jetStreamOutput, kvOutput, natsOutput } from "./nats";
import { brokerOutput, fallbackOutput, rejectErroredOutput, switchOutput } from "./routing";
import { BatchingOutput, InstrumentedOutput, LimitedOutput, policyActive } from "./wrap";
import { sqlInsertOutput } from "../sql/insert";
import { sqlRawOutput } from "../sql/raw";

export function buildOutput(conf: ComponentConfig, ctx: BuildContext): Output {
  const c = conf.config;
  const children = (list: ComponentConfig[], copies = 1) => {
    const out: Output[] = [];
    for (let i = 0; i < Math.max(1, copies); i++) for (const l of list) out.push(buildOutput(l, ctx));
    return out;
  };
  let out: Output;
  switch (conf.type) {
    case "drop":
      out = dropOutput();
      break;
    case "stdout":
      out = stdoutOutput(c);
      break;
    case "file":
      out = fileOutput(c);
      break;
    case "nats":
      out = natsOutput(c, ctx);
      break;
    case "nats_jetstream":
      out = jetStreamOutput(c, ctx);
      break;
    case "nats_kv":
      out = kvOutput(c, ctx);
      break;
    case "http_client":
      out = httpClientOutput(c, ctx);
      break;
    case "switch":
      out = switchOutput(
        c,
        children(c.cases.map((k: { output: ComponentConfig }) => k.output)),
        ctx.signal,
        ctx.logger,
      );
      break;
    case "broker":
      out = brokerOutput(c, children(c.outputs, c.copies), ctx.signal);
      break;
    case "fallback":
      out = fallbackOutput(children(c));
      break;
    case "reject_errored":
      out = rejectErroredOutput(buildOutput(c, ctx));
      break;
    case "reject":
      out = rejectOutput(c);
      break;
    case "sync_response":
      out = syncResponseOutput();
      break;
    case "sql_insert":
      out = sqlInsertOutput(c, ctx);
      break;
    case "sql_raw":
      out = sqlRawOutput(c, ctx);
      break;
    case "resource":
      out = ctx.resources.output(c);
      break;
    default:
      throw new Error(`output ${conf.type} is not supported by the built-in engine`);
  }
  if (!out.limitsItself) out = new LimitedOutput(out);
  if (c?.batching && policyActive(c.batching)) {
    out = new BatchingOutput(out, {
      ...c.batching,
      processors: (c.batching.processors as ComponentConfig[]).map((p) => buildProcessor(p, ctx)),
    });
  }
  const procs = conf.processors.map((p) => buildProcessor(p, ctx));
  const name = conf.label || conf.path;
  return new InstrumentedOutput(
    out,
    procs,
    ctx.metrics.get(name, { kind: "output", label: conf.label, path: conf.path }),
    (message) => ctx.metrics.recordError(name, message),
  );
}
