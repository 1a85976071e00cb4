// The README's configuration tables, made from the schema: `npm run settings:docs` writes each
// table between its markers (`<!-- settings:<table> -->` … `<!-- /settings:<table> -->`), and
// test/config/settings.test.ts fails when the README and the schema differ.
import { SCHEMA, type Group, type Setting } from "./schema";

/** The README's tables and the groups each shows. */
export const DOC_TABLES: Record<string, readonly Group[]> = {
  main: ["nats", "aws", "store", "executors", "telemetry", "host", "api", "local"],
  bridge: ["bridge"],
  docker: ["docker"],
  ecs: ["ecs"],
  internal: ["internal"],
};

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

function defaultCell(s: Setting<unknown>): string {
  if (s.defaultDoc !== undefined) return s.defaultDoc;
  if (s.default === undefined || s.default === "") return "none";
  return `\`${s.default}\``;
}

/** The markdown table of the settings in `groups`. */
export function settingsTable(groups: readonly Group[]): string {
  const rows = Object.values(SCHEMA as Record<string, Setting<unknown>>)
    .filter((s) => groups.includes(s.group))
    .map((s) => `| \`${s.env}\` | ${cell(s.doc)} | ${s.kind.short} | ${cell(defaultCell(s))} |`);
  return ["| variable | meaning | form | default |", "|---|---|---|---|", ...rows].join("\n");
}

/** `markdown` with every settings table replaced by the schema's; throws on a missing marker. */
export function withSettingsTables(markdown: string): string {
  let out = markdown;
  for (const [table, groups] of Object.entries(DOC_TABLES)) {
    const begin = `<!-- settings:${table} -->`;
    const end = `<!-- /settings:${table} -->`;
    const from = out.indexOf(begin);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md lacks the markers ${begin} … ${end}`);
    out = `${out.slice(0, from + begin.length)}\n${settingsTable(groups)}\n${out.slice(to)}`;
  }
  return out;
}
