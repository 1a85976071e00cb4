// The one interface every executor (process, docker, ecs) implements. The planner decides WHAT
// must happen (lib/converge/plan.ts); an executor only knows HOW to do each step.
import type { Execution, ExecutorKind } from "../model";

/** Everything an executor needs to start one replica of a pipeline version. */
export interface StartSpec {
  pipeline: string;
  version: string;
  digest: string;
  replica: number;
}

export type Action =
  /** Create the replica's execution if absent, and start it. */
  | ({ type: "start" } & StartSpec)
  /** Start an existing execution that is stopped or ended (same version and digest). */
  | { type: "resume"; execution: Execution }
  /** Stop an execution but keep it (paused). */
  | { type: "stop"; execution: Execution }
  /** Stop and destroy an execution and every trace of it (records, logs, volumes…). */
  | { type: "remove"; execution: Execution };

/** What the pipeline should look like once the plan is carried out. */
export type Target =
  | { state: "running"; version: string; digest: string; replicas: number }
  | { state: "stopped" }
  | { state: "absent" }
  /** Invalid definition: leave whatever runs as it is (last-known-good). */
  | { state: "unchanged" };

export interface Plan {
  pipeline: string;
  target: Target;
  /** In order: removals first, then stops, then starts and resumes. */
  actions: Action[];
}

export interface Executor {
  readonly kind: ExecutorKind;
  /** The executions reef labelled: one pipeline's, or every pipeline's. */
  list(pipeline?: string): Promise<Execution[]>;
  /**
   * Carries out one pipeline's plan. Every step is idempotent (an already-started execution is
   * not started twice, an already-removed one is not an error), so a repeated or concurrent
   * converge is harmless.
   */
  apply(plan: Plan): Promise<void>;
  /**
   * An execution's log lines (stdout and stderr of the runner and engine); with `follow`, keeps
   * yielding new lines until `signal` aborts. Executors without local logs (ecs) omit it.
   */
  logs?(
    execution: Execution,
    opts?: { follow?: boolean; tail?: number; signal?: AbortSignal },
  ): AsyncIterable<string>;
  /** Releases clients (sockets, SDK clients). */
  close?(): Promise<void>;
}

/** Describes an action in one line, for logs, events and the CLI. */
export function describeAction(a: Action): string {
  if (a.type === "start") return `start ${a.pipeline}#${a.replica} v${a.version}`;
  const e = a.execution;
  return `${a.type} ${e.pipeline}#${e.replica} v${e.version} (${e.id})`;
}
