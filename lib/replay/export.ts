// Export: each selected change as a Lambda event file, so
// `npx serverless invoke local -f converge -p <file>` replays it under a debugger.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ReplayItem } from "./select";

export interface ExportedFile {
  seq: number | null;
  pipeline: string;
  path: string;
}

/**
 * `<seq>-<pipeline>-r<revision>.json`; a history revision without a record is `h<revision>-…`.
 * Zero-padded, so names sort in replay order.
 */
export function exportFileName(item: ReplayItem): string {
  const seq =
    item.seq === null
      ? `h${String(item.event.revision).padStart(8, "0")}`
      : String(item.seq).padStart(8, "0");
  return `${seq}-${item.pipeline}-r${item.event.revision}.json`;
}

export async function exportStep(dir: string, item: ReplayItem): Promise<ExportedFile> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, exportFileName(item));
  // exactly the payload the bridge sends (CONTRACT.md §2), nothing else: the handler validates it
  await writeFile(path, JSON.stringify(item.event, null, 2) + "\n");
  return { seq: item.seq, pipeline: item.pipeline, path };
}
