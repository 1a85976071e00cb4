// Builds processors from their normalised configs.
import type { ComponentConfig } from "../../config/types";
import type { BuildContext } from "../../runtime/context";
import type { Batch } from "../../message";
import type { Processor } from "../../runtime/types";
import { mappingProcessor } from "./bloblang";
import { commandProcessor, subprocessProcessor } from "./exec";
import {
  Branch,
  branchProcessor,
  catchProcessor,
  switchProcessor,
  tryProcessor,
  type BranchConf,
} from "./flow";
import {
  dedupeProcessor,
  groupByValueProcessor,
  logProcessor,
  noopProcessor,
  rateLimitProcessor,
  sleepProcessor,
  splitProcessor,
  syncResponseProcessor,
} from "./misc";
import { httpProcessor } from "./http";
import {
  archiveProcessor,
  cacheProcessor,
  compressionProcessor,
  forEachProcessor,
  listProcessor,
  natsKvProcessor,
  natsRequestReplyProcessor,
  parallelProcessor,
  unarchiveProcessor,
} from "./more";
import { workflowProcessor } from "./workflow";
import { sqlInsertProcessor } from "../sql/insert";
import { sqlRawProcessor } from "../sql/raw";
import { sqlSelectProcessor } from "../sql/select";

export { allSync, runProcessors, runProcessorsSync } from "./run";

/** A built processor, with its Branch when it is a `branch` (workflow uses branch resources). */
export type BuiltProcessor = Processor & { branch?: Branch };

export function buildProcessor(conf: ComponentConfig, ctx: BuildContext): BuiltProcessor {
  const build = (confs: ComponentConfig[]) => confs.map((c) => buildProcessor(c, ctx));
  const c = conf.config;
  let p: BuiltProcessor;
  switch (conf.type) {
    case "mapping":
    case "bloblang":
      p = mappingProcessor(c, "mapping");
      break;
    case "mutation":
      p = mappingProcessor(c, "mutation");
      break;
    case "log":
      p = logProcessor(c, ctx);
      break;
    case "switch":
      p = switchProcessor(c, build);
      break;
    case "branch": {
      p = branchProcessor(new Branch(c as BranchConf, build));
      break;
    }
    case "catch":
      p = catchProcessor(c, build);
      break;
    case "try":
      p = tryProcessor(c, build);
      break;
    case "split":
      p = splitProcessor(c);
      break;
    case "sleep":
      p = sleepProcessor(c, ctx);
      break;
    case "dedupe":
      p = dedupeProcessor(c, ctx);
      break;
    case "rate_limit":
      p = rateLimitProcessor(c, ctx);
      break;
    case "command":
      p = commandProcessor(c, ctx);
      break;
    case "subprocess":
      p = subprocessProcessor(c, ctx);
      break;
    case "workflow": {
      const branches = new Map<string, Branch>();
      for (const [name, bc] of Object.entries(c.branches as Record<string, BranchConf>))
        branches.set(name, new Branch(bc, build));
      for (const name of c.branch_resources as string[]) {
        const r = ctx.resources.processor(name) as BuiltProcessor;
        if (!r.branch)
          throw new Error(`workflow branch_resources: resource ${name} is not a branch processor`);
        branches.set(name, r.branch);
      }
      p = workflowProcessor(c, branches);
      break;
    }
    case "http":
      p = httpProcessor(c, ctx);
      break;
    case "cache":
      p = cacheProcessor(c, ctx);
      break;
    case "for_each":
      p = forEachProcessor(build(c));
      break;
    case "processors":
      p = listProcessor(build(c));
      break;
    case "parallel":
      p = parallelProcessor(c, build(c.processors));
      break;
    case "nats_request_reply":
      p = natsRequestReplyProcessor(c, ctx);
      break;
    case "nats_kv":
      p = natsKvProcessor(c, ctx);
      break;
    case "archive":
      p = archiveProcessor(c);
      break;
    case "unarchive":
      p = unarchiveProcessor(c);
      break;
    case "compress":
    case "decompress":
      p = compressionProcessor(c, conf.type);
      break;
    case "sync_response":
      p = syncResponseProcessor();
      break;
    case "group_by_value":
      p = groupByValueProcessor(c);
      break;
    case "noop":
      p = noopProcessor();
      break;
    case "sql_insert":
      p = sqlInsertProcessor(c, ctx);
      break;
    case "sql_raw":
      p = sqlRawProcessor(c, ctx);
      break;
    case "sql_select":
      p = sqlSelectProcessor(c, ctx);
      break;
    case "resource":
      return ctx.resources.processor(c);
    default:
      throw new Error(`processor ${conf.type} is not supported by the built-in engine`);
  }
  return instrument(p, conf, ctx);
}

/** Counts messages in/out/errored and time per batch under the component's label or path. */
function instrument(p: BuiltProcessor, conf: ComponentConfig, ctx: BuildContext): BuiltProcessor {
  const name = conf.label || conf.path;
  const m = ctx.metrics.get(name, {
    kind: "processor",
    label: conf.label,
    path: conf.path,
  });
  const before = (batch: Batch): number => {
    m.received += batch.length;
    let erroredBefore = 0;
    for (const msg of batch) if (msg.error) erroredBefore++;
    return erroredBefore;
  };
  const after = (out: Batch[], erroredBefore: number, t0: number): Batch[] => {
    m.observe(performance.now() - t0);
    // Only the errors this processor added: a message that failed earlier keeps its flag.
    let erroredAfter = 0;
    let last: Error | null = null;
    for (const b of out) {
      m.sent += b.length;
      for (const msg of b) {
        if (!msg.error) continue;
        erroredAfter++;
        last = msg.error;
      }
    }
    if (erroredAfter > erroredBefore) {
      m.errors += erroredAfter - erroredBefore;
      ctx.metrics.recordError(name, last!.message);
    }
    return out;
  };
  const inner = p.processSync?.bind(p);
  return {
    branch: p.branch,
    close: p.close?.bind(p),
    async process(batch) {
      const t0 = performance.now();
      const erroredBefore = before(batch);
      return after(await p.process(batch), erroredBefore, t0);
    },
    ...(inner
      ? {
          processSync(batch: Batch) {
            const t0 = performance.now();
            const erroredBefore = before(batch);
            return after(inner(batch), erroredBefore, t0);
          },
        }
      : {}),
  };
}
