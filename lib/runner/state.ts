// Writes the runner's state file (REEF_RUNNER_STATE_FILE; its shape is lib/model's RunnerState):
// how the process and docker executors learn that the engine started, ended, or why it failed.
// Optional: without the variable nothing is written.
import { renameSync, writeFileSync } from "node:fs";
import { encodeRunnerState, type RunnerState } from "../model";

export class RunnerStateFile {
  constructor(private readonly path: string | undefined) {}

  write(state: RunnerState): void {
    if (!this.path) return;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, encodeRunnerState(state));
    renameSync(tmp, this.path);
  }
}
