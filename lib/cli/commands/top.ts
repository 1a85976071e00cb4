// `reef top`: every pipeline's phase, health and rates, refreshed in place from the heartbeats;
// `--json` prints one snapshot.
import type { Command } from "commander";
import { openPipelines, type TopRow } from "../../pipelines";
import { parseSecondsOrDuration } from "../../store";
import { color, printJson } from "../output";
import { rate, table, truncate } from "../present";

const HEALTH_COLOR = { healthy: "green", degraded: "yellow", unresponsive: "red", unknown: "gray" } as const;

export function render(rows: TopRow[], now = new Date()): string {
  const lines = rows.map((r) => [
    r.id,
    r.phase ?? "-",
    color(HEALTH_COLOR[r.health.state], r.health.state),
    `${r.replicas.reporting}/${r.replicas.running}`,
    rate(r.health.rates.received),
    rate(r.health.rates.sent),
    rate(r.health.rates.errors),
    r.health.lag ? String(r.health.lag.pending) : "-",
    r.p99Ms ? `${r.p99Ms.toFixed(1)}ms` : "-",
    r.health.lastError ? truncate(`${r.health.lastError.component}: ${r.health.lastError.message}`, 50) : "-",
  ]);
  return (
    `reef top — ${rows.length} pipelines — ${now.toISOString()}\n\n` +
    table(
      ["PIPELINE", "PHASE", "HEALTH", "REPLICAS", "IN/S", "OUT/S", "ERR/S", "LAG", "P99", "LAST ERROR"],
      lines,
    )
  );
}

export function register(program: Command): void {
  program
    .command("top")
    .description(
      "live table of every pipeline: phase, health, replicas, in/s, out/s, err/s, lag, p99, last error",
    )
    .option("--json", "print one snapshot as JSON and exit")
    .option("--interval <duration>", "refresh every (default 2s)", "2s")
    .action(async (opts: { json?: boolean; interval: string }) => {
      const open = await openPipelines();
      try {
        if (opts.json) return printJson(await open.pipelines.top());
        const every = parseSecondsOrDuration(opts.interval, "--interval");
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        const tty = process.stdout.isTTY;
        try {
          while (!abort.signal.aborted) {
            const text = render(await open.pipelines.top());
            // In place on a terminal (cursor home, clear below); one table per refresh otherwise.
            process.stdout.write(tty ? `\u001b[H\u001b[2J${text}` : `${text}\n`);
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, every);
              abort.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
            });
          }
        } finally {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
        }
      } finally {
        await open.close().catch(() => undefined);
      }
    });
}
