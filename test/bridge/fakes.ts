// Test doubles for the bridge: an in-memory executor and a quiet logger.
import type { Log } from "../../lib/model";
import type { Action, Executor, Plan } from "../../lib/executors/types";
import type { Execution } from "../../lib/model";

export class FakeExecutor implements Executor {
  readonly kind = "process" as const;
  readonly executions = new Map<string, Execution>();
  applied: Action[] = [];

  async list(pipeline?: string): Promise<Execution[]> {
    return [...this.executions.values()]
      .filter((e) => !pipeline || e.pipeline === pipeline)
      .map((e) => ({ ...e }));
  }

  async apply(plan: Plan): Promise<void> {
    for (const a of plan.actions) {
      this.applied.push(a);
      if (a.type === "start") {
        const id = `fake-${a.pipeline}-${a.replica}`;
        this.executions.set(id, {
          id,
          pipeline: a.pipeline,
          version: a.version,
          digest: a.digest,
          replica: a.replica,
          state: "running",
        });
      } else if (a.type === "resume") {
        const e = this.executions.get(a.execution.id);
        if (e) e.state = "running";
      } else if (a.type === "stop") {
        const e = this.executions.get(a.execution.id);
        if (e) e.state = "stopped";
      } else {
        this.executions.delete(a.execution.id);
      }
    }
  }
}

export const quietLog: Log = { info() {}, warn() {}, error() {} };

/** Collects log lines, for assertions and for printing when a test fails. */
export function memoryLog(): Log & { lines: { level: string; message: string; fields: unknown[] }[] } {
  const lines: { level: string; message: string; fields: unknown[] }[] = [];
  const at =
    (level: string) =>
    (message: string, ...fields: unknown[]) =>
      void lines.push({ level, message, fields });
  return { lines, info: at("info"), warn: at("warn"), error: at("error") };
}

export const SAMPLE_CONFIG = new TextEncoder().encode(
  "input:\n  generate:\n    mapping: 'root = \"hi\"'\n    interval: 1s\noutput:\n  stdout: {}\n",
);

export function definition(
  id: string,
  status: "draft" | "published" | "paused",
  version = "1",
  extra = {},
): string {
  return JSON.stringify({ id, name: id, status, version, replicas: 1, ...extra });
}
