// `reef scale <id> --min n --max n --target n [--cooldown 60s]`: edit the definition's autoscale
// block (compare-and-set; --revision insists on a revision). `--off` removes it.
import { InvalidArgumentError, type Command } from "commander";
import { DURATION_FORM, durationMs } from "../../model";
import { withPipelines } from "../../pipelines";
import { parseIdArg, parseIntArg } from "../present";
import { UsageError } from "../output";
import { printWrite, writeOptions, type WriteCliOpts } from "./publish";

interface ScaleOpts extends Pick<WriteCliOpts, "revision" | "dryRun" | "json"> {
  min?: number;
  max?: number;
  target?: number;
  cooldown?: string;
  off?: boolean;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError("expected a number > 0");
  return n;
}

function parseDurationArg(value: string): string {
  if (durationMs(value) === undefined) throw new InvalidArgumentError(`expected ${DURATION_FORM}`);
  return value;
}

export function register(program: Command): void {
  const cmd = program
    .command("scale")
    .description(
      "set how a pipeline's replicas follow its JetStream consumer lag: ceil(pending / target) kept within [min, max], up at once, down one step per cooldown",
    )
    .argument("<id>", "pipeline id", parseIdArg)
    .option("--min <n>", "fewest replicas", parseIntArg)
    .option("--max <n>", "most replicas (at most REEF_MAX_REPLICAS)", parseIntArg)
    .option("--target <n>", "pending messages per replica (targetPending)", parsePositive)
    .option("--cooldown <duration>", "between two steps down (default 60s)", parseDurationArg)
    .option("--off", "remove autoscaling (replicas is the fixed count again)");
  writeOptions(cmd).action(async (id: string, opts: ScaleOpts) => {
    const change = { min: opts.min, max: opts.max, targetPending: opts.target, cooldown: opts.cooldown };
    const edits = Object.values(change).some((v) => v !== undefined);
    if (!!opts.off === edits) {
      throw new UsageError("give --min, --max, --target and/or --cooldown, or --off");
    }
    const write = { ifRevision: opts.revision, dryRun: opts.dryRun };
    const r = await withPipelines((p) =>
      opts.off ? p.apply({ id, autoscale: null }, { ...write, mustExist: true }) : p.scale(id, change, write),
    );
    printWrite(r, opts.json);
  });
}
