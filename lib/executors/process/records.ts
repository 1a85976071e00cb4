// Process execution records: one JSON file per execution under the state dir. The record is how a
// restarted control plane finds (adopts) executions it started earlier.
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface ProcessRecord {
  /** `reef-<pipeline>-<replica>`: deterministic, so two converges cannot both create it. */
  id: string;
  labels: Record<string, string>;
  /** Runner pid and its start time (clock ticks since boot) so a reused pid is never taken for ours. */
  pid: number | null;
  startTime: string | null;
  /** `stopped` once reef stopped it on purpose (paused); the record is kept. */
  desired: "running" | "stopped";
  createdAt: string;
  startedAt: string | null;
}

export class RecordStore {
  constructor(readonly dir: string) {}

  recordPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }
  logPath(id: string): string {
    return join(this.dir, `${id}.log`);
  }
  runnerStatePath(id: string): string {
    return join(this.dir, `${id}.state.json`);
  }

  /** Creates the record only if absent (O_EXCL); false when another converge got there first. */
  async create(record: ProcessRecord): Promise<boolean> {
    await mkdir(this.dir, { recursive: true });
    try {
      const fh = await open(this.recordPath(record.id), "wx");
      await fh.writeFile(JSON.stringify(record, null, 2));
      await fh.close();
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw err;
    }
  }

  /** Atomic replace (write + rename), so a reader never sees half a record. */
  async write(record: ProcessRecord): Promise<void> {
    const tmp = `${this.recordPath(record.id)}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(record, null, 2));
    await rename(tmp, this.recordPath(record.id));
  }

  async read(id: string): Promise<ProcessRecord | null> {
    try {
      return JSON.parse(await readFile(this.recordPath(id), "utf8")) as ProcessRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  async list(): Promise<ProcessRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const records = await Promise.all(
      names
        .filter((n) => n.endsWith(".json") && !n.endsWith(".state.json"))
        .map((n) => this.read(n.slice(0, -".json".length)).catch(() => null)),
    );
    return records.filter((r): r is ProcessRecord => r !== null && typeof r.labels === "object");
  }

  /** Deletes the record and every file of the execution. */
  async remove(id: string): Promise<void> {
    await Promise.all(
      [this.logPath(id), this.runnerStatePath(id), this.recordPath(id)].map((p) => rm(p, { force: true })),
    );
  }
}
