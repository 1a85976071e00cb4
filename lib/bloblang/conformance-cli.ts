// `npm run conformance -- <dir> [--json] [--filter <substring>]`: runs the YAML cases under <dir>;
// the last line printed is always `bloblang conformance: P passed, F failed, S skipped`.
import { resolve } from "node:path";
import { runConformance, summaryLine } from "./conformance";

const argv = process.argv.slice(2);
let dir: string | undefined;
let json = false;
let verbose = false;
let filter: string | undefined;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--json") json = true;
  else if (a === "--verbose" || a === "-v") verbose = true;
  else if (a === "--filter") filter = argv[++i];
  else if (a.startsWith("--filter=")) filter = a.slice("--filter=".length);
  else dir = a;
}
if (!dir) {
  console.error("usage: npm run conformance -- <dir> [--json] [--filter <substring>] [--verbose]");
  process.exit(2);
}
const summary = runConformance(resolve(dir), filter);
if (json) {
  console.log(
    JSON.stringify(
      { passed: summary.passed, failed: summary.failed, skipped: summary.skipped, cases: summary.results },
      null,
      2,
    ),
  );
} else {
  for (const r of summary.results) {
    if (r.status === "fail" || (verbose && r.status === "pass")) {
      const id = [r.file, r.test, r.case].filter(Boolean).join(" / ");
      console.log(
        `${r.status.toUpperCase()} ${id}${r.reason ? `\n    ${r.reason.replace(/\n/g, "\n    ")}` : ""}`,
      );
    }
  }
}
console.log(summaryLine(summary));
