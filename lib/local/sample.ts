// The sample pipeline `npm start` loads (infra/local/sample/), as a draft, so a newcomer has
// something to publish. Never overwrites: an existing definition or config is left alone.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../store";

export interface SampleResult {
  id: string;
  /** False when a definition of that id already existed. */
  created: boolean;
  /** Why the config could not be stored (e.g. version 1 exists with other content). */
  configProblem?: string;
}

export async function loadSample(store: Store, projectDir: string): Promise<SampleResult> {
  const dir = join(projectDir, "infra", "local", "sample");
  const def = JSON.parse(readFileSync(join(dir, "pipeline.json"), "utf8")) as { id: string; version: string };
  const config = readFileSync(join(dir, "config.yaml"));
  let configProblem: string | undefined;
  await store.putConfig(def.id, def.version, config).catch((err: Error) => (configProblem = err.message));
  // Any entry, a delete marker included, means the user has been there: their data wins.
  if (await store.getDefinitionEntry(def.id)) return { id: def.id, created: false, configProblem };
  try {
    await store.putDefinition(def.id, JSON.stringify(def, null, 2), { ifRevision: 0 });
    return { id: def.id, created: true, configProblem };
  } catch {
    return { id: def.id, created: false, configProblem }; // created concurrently
  }
}
