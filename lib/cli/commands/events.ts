// `reef events [--pipeline id] [--since …] [--until …] [--failed] [--json]`: the recorded changes,
// oldest first. `reef events verify [--pipeline id]`: checks the hash chains (exit 1 when broken).
import type { Command } from "commander";
import { eventsTable, retentionNote, verifyText, withStore } from "../../replay";
import { eventRow, parseSecondsOrDuration, readEvents, verifyChains, type EventFilter } from "../../store";
import { color, printJson, UsageError } from "../output";

export interface EventFilterOptions {
  pipeline?: string;
  since?: string;
  until?: string;
  failed?: boolean;
}

/** `1h`, `30m`, `2d` (ago) or a timestamp (ISO 8601). */
export function parseWhen(text: string, flag: string, now = Date.now()): Date {
  try {
    return new Date(now - parseSecondsOrDuration(text, flag));
  } catch {
    const t = Date.parse(text);
    if (Number.isNaN(t)) {
      throw new UsageError(
        `${flag}: ${JSON.stringify(text)} is neither a duration (1h, 30m, 2d) nor a timestamp`,
      );
    }
    return new Date(t);
  }
}

export function eventFilterFrom(opts: EventFilterOptions): EventFilter {
  return {
    pipeline: opts.pipeline,
    since: opts.since ? parseWhen(opts.since, "--since") : undefined,
    until: opts.until ? parseWhen(opts.until, "--until") : undefined,
    failed: opts.failed,
  };
}

/** The filter flags `reef events` and `reef replay` share. */
export function addEventFilterOptions(cmd: Command): Command {
  return cmd
    .option("--pipeline <id>", "only this pipeline's events")
    .option("--since <when>", "events recorded since: a duration ago (1h, 30m, 2d) or a timestamp")
    .option("--until <when>", "events recorded until: a duration ago or a timestamp")
    .option("--failed", "only changes that failed (the call failed or converge reported an error)");
}

export function register(program: Command): void {
  const events = addEventFilterOptions(
    program
      .command("events")
      .description(
        "list the recorded changes, oldest first: time, pipeline, operation, revision, outcome, actions",
      ),
  )
    .option("--json", "machine-readable output")
    .action(async (opts: EventFilterOptions & { json?: boolean }) => {
      const filter = eventFilterFrom(opts);
      await withStore(async (store) => {
        const rows = (await readEvents(store, filter)).map(eventRow);
        const removed = await retentionNote(store, filter);
        if (removed && !opts.json) process.stderr.write(color("yellow", `note: ${removed}`) + "\n");
        if (opts.json) return printJson(rows);
        if (rows.length === 0) {
          process.stdout.write(color("dim", "no recorded events match") + "\n");
          return;
        }
        process.stdout.write(eventsTable(rows) + "\n");
      });
    });

  events
    .command("verify")
    .description("check the hash chains of the history; reports the first broken link (exit 1 when broken)")
    .option("--pipeline <id>", "only this pipeline's chain")
    .option("--json", "machine-readable output")
    .action(async (opts: { pipeline?: string; json?: boolean }) => {
      await withStore(async (store) => {
        const report = await verifyChains(store, { pipeline: opts.pipeline });
        if (opts.json) printJson(report);
        else {
          const text = verifyText(report);
          process.stdout.write((report.ok ? text : color("red", text)) + "\n");
        }
        if (!report.ok) process.exitCode = 1;
      });
    });
}
