// Runs the shared Bloblang conformance suite and fails only if the passed count drops below the
// recorded baseline (a ratchet: raise test/bloblang/conformance-baseline.json as the engine improves).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runConformance, summaryLine } from "../../lib/bloblang/conformance";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const suiteDir = resolve(repoRoot, "..", "shared", "conformance", "bloblang", "tests");
const baseline = JSON.parse(
  readFileSync(join(repoRoot, "test/bloblang/conformance-baseline.json"), "utf8"),
) as {
  passed: number;
};
const missing = !existsSync(suiteDir);

describe("bloblang conformance", () => {
  it.skipIf(missing)(
    `passes at least the baseline of ${baseline.passed} cases (suite: ${suiteDir}${missing ? " — folder absent, skipped" : ""})`,
    () => {
      const summary = runConformance(suiteDir);
      console.log(summaryLine(summary));
      const failures = summary.results.filter((r) => r.status === "fail");
      if (summary.passed < baseline.passed) {
        console.log(
          failures.map((f) => `${f.file} / ${f.test}${f.case ? ` / ${f.case}` : ""}: ${f.reason}`).join("\n"),
        );
      }
      expect(summary.passed).toBeGreaterThanOrEqual(baseline.passed);
    },
  );
});
