// `reef get <id>`: one pipeline, desired and observed side by side.
import type { Command } from "commander";
import { withPipelines } from "../../pipelines";
import type { Health } from "../../model";
import { age, executionsCell, parseIdArg, phaseCell, rate, table, wantedReplicas } from "../present";
import { color, printJson } from "../output";

export function register(program: Command): void {
  program
    .command("get")
    .description("show a pipeline: definition, observed status, executions")
    .argument("<id>", "pipeline id", parseIdArg)
    .option("--json", "machine-readable output")
    .action(async (id: string, opts: { json?: boolean }) => {
      const v = await withPipelines((p) => p.get(id));
      if (opts.json) return printJson(v);
      const d = v.definition;
      const o = v.observed;
      const out: string[] = [];
      out.push(`${color("bold", v.id)}${d?.name && d.name !== v.id ? ` — ${d.name}` : ""}`);
      if (d?.description) out.push(d.description);
      out.push(`revision ${v.revision}, changed ${age(v.updatedAt)} ago`);
      if (d?.labels && Object.keys(d.labels).length) {
        out.push(
          `labels: ${Object.entries(d.labels)
            .map(([k, val]) => `${k}=${val}`)
            .join(", ")}`,
        );
      }
      out.push("");
      const err = (e: { code: string; message: string } | null | undefined) =>
        e ? `${e.code}: ${e.message}` : "-";
      out.push(
        table(
          ["", "DESIRED", "OBSERVED"],
          [
            ["status / phase", d?.status ?? "invalid", phaseCell(v)],
            ["version", d?.version ?? "-", o?.version ?? "-"],
            ["executions", String(wantedReplicas(v)), executionsCell(v)],
            ...(d?.autoscale
              ? [
                  [
                    "autoscale",
                    `min ${d.autoscale.min}, max ${d.autoscale.max}, targetPending ${d.autoscale.targetPending}, cooldown ${d.autoscale.cooldown}`,
                    o?.replicas?.reason ?? "-",
                  ],
                ]
              : []),
            ["revision", String(v.revision), o ? String(o.revision) : "-"],
            ["health", "", healthText(o?.health)],
            ["error", err(v.definitionError), err(o?.error)],
            ["updated", age(v.updatedAt), o ? age(o.updatedAt) : "-"],
          ],
        ).trimEnd(),
      );
      if (o?.executions.length) {
        out.push("", `executions (${o.executor}):`);
        out.push(
          table(
            ["ID", "STATE", "VERSION"],
            o.executions.map((e) => [e.id, e.state, e.version]),
          ).trimEnd(),
        );
      }
      process.stdout.write(out.join("\n") + "\n");
    });
}

function healthText(h: Health | undefined): string {
  if (!h) return "-";
  const parts = [
    `${h.state} (${h.replicasReporting} reporting)`,
    `in ${rate(h.rates.received)}/s, out ${rate(h.rates.sent)}/s, errors ${rate(h.rates.errors)}/s`,
  ];
  if (h.lag) parts.push(`lag ${h.lag.pending} pending, ${h.lag.ackPending} unacked`);
  if (h.lastError) parts.push(`last error (${h.lastError.component}): ${h.lastError.message}`);
  return parts.join("; ");
}
