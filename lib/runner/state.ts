// The runner's state file (REEF_RUNNER_STATE_FILE): how the process executor learns that the
// engine started, ended, or why it failed. Optional: without the variable nothing is written.
import { renameSync, writeFileSync } from "node:fs";
import type { StatusError } from "../model";

export type RunnerState =
  | { state: "running"; engine: string; pid: number }
  | { state: "exited"; exitCode: 0 }
  | { state: "failed"; exitCode: number; error: StatusError };

export class RunnerStateFile {
  constructor(private readonly path: string | undefined) {}

  write(state: RunnerState): void {
    if (!this.path) return;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...state, at: new Date().toISOString() }));
    renameSync(tmp, this.path);
  }
}
