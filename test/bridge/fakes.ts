// Test doubles for the bridge: an in-memory executor and a quiet logger.
import type { BridgeConfig } from "../../lib/bridge";
import type { Log } from "../../lib/model";
import type { Action, ReplicaExecutor, StartSpec } from "../../lib/executors/types";
import type { Execution } from "../../lib/model";

/** Executions in memory: each step takes effect at once (starts are running right away). */
export class FakeExecutor implements ReplicaExecutor {
  readonly kind = "process" as const;
  readonly executions = new Map<string, Execution>();
  applied: Action[] = [];

  async list(pipeline?: string): Promise<Execution[]> {
    return [...this.executions.values()]
      .filter((e) => !pipeline || e.pipeline === pipeline)
      .map((e) => ({ ...e }));
  }

  async start(spec: StartSpec): Promise<void> {
    this.applied.push({ type: "start", ...spec });
    const id = `fake-${spec.pipeline}-${spec.replica}`;
    this.executions.set(id, { id, ...spec, state: "running" });
  }

  async resume(execution: Execution): Promise<void> {
    this.applied.push({ type: "resume", execution });
    const e = this.executions.get(execution.id);
    if (e) e.state = "running";
  }

  async stop(execution: Execution): Promise<void> {
    this.applied.push({ type: "stop", execution });
    const e = this.executions.get(execution.id);
    if (e) e.state = "stopped";
  }

  async remove(execution: Execution): Promise<void> {
    this.applied.push({ type: "remove", execution });
    this.executions.delete(execution.id);
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

/**
 * The settings of a bridge that invokes converge in this process (short retries, no resync), with
 * its own durable consumer and concurrency.
 */
export function inProcessBridgeConfig(durable: string, concurrency: number): BridgeConfig {
  return {
    stage: "test",
    region: "us-east-1",
    invoker: "in-process",
    concurrency,
    durable,
    ackWaitMs: 5_000,
    maxAckPending: 1_000,
    maxAttempts: 3,
    retryBaseMs: 10,
    retryMaxMs: 50,
    convergeTimeoutMs: 30_000,
    reconcileTimeoutMs: 30_000,
    resyncIntervalMs: 0,
    drainTimeoutMs: 5_000,
  };
}
