// Builds inputs from their normalised configs, with replay, input processors and metrics around them.
import type { ComponentConfig } from "../../config/types";
import type { BuildContext } from "../../runtime/context";
import type { Input } from "../../runtime/types";
import { buildProcessor } from "../processors";
import { brokerInput } from "./broker";
import { generateInput } from "./generate";
import { httpServerInput } from "./http-server";
import { jetStreamInput, kvInput, natsInput } from "./nats";
import { fileInput, stdinInput } from "./readers";
import { postgresNotifyInput } from "./postgres-notify";
import { InstrumentedInput, ReplayingInput } from "./replay";
import { sqlRawInput } from "../sql/raw";
import { sqlSelectInput } from "../sql/select";

export function buildInput(conf: ComponentConfig, ctx: BuildContext): Input {
  const c = conf.config;
  let input: Input;
  switch (conf.type) {
    case "generate":
      input = generateInput(c, ctx);
      break;
    case "stdin":
      input = stdinInput(c, ctx.stdin);
      break;
    case "file":
      input = fileInput(c);
      break;
    case "nats":
      input = natsInput(c, ctx);
      break;
    case "nats_jetstream":
      input = jetStreamInput(c, ctx);
      break;
    case "nats_kv":
      input = kvInput(c, ctx);
      break;
    case "http_server":
      input = httpServerInput(c, ctx);
      break;
    case "sql_select":
      input = sqlSelectInput(c, ctx);
      break;
    case "sql_raw":
      input = sqlRawInput(c, ctx);
      break;
    case "postgres_notify":
      input = postgresNotifyInput(c, ctx);
      break;
    case "broker": {
      const children: Input[] = [];
      for (let i = 0; i < Math.max(1, c.copies); i++)
        for (const child of c.inputs as ComponentConfig[]) children.push(buildInput(child, ctx));
      input = brokerInput(children);
      break;
    }
    case "resource":
      input = ctx.resources.input(c);
      break;
    default:
      throw new Error(`input ${conf.type} is not supported by the built-in engine`);
  }
  // JetStream redelivers by itself (nak); http_server answers the client with the error instead.
  if (c?.auto_replay_nacks === true) input = new ReplayingInput(input, ctx.signal);
  const procs = conf.processors.map((p) => buildProcessor(p, ctx));
  return new InstrumentedInput(
    input,
    procs,
    ctx.metrics.get(conf.label || conf.path, { kind: "input", label: conf.label, path: conf.path }),
  );
}
