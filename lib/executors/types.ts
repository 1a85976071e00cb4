// The executor contract. The planner decides WHAT must happen (lib/converge/plan.ts) and
// lib/converge/apply.ts carries the plan out; an executor only knows HOW: either each step to one
// execution (ReplicaExecutor: process, docker) or a whole set at once (SetExecutor: ecs).
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
  /** A restart held back (a failed execution started too recently): it becomes due after this long. */
  restartDueInMs?: number;
}

/** What every executor offers, whatever way it carries out a plan. */
interface ExecutorBase {
  readonly kind: ExecutorKind;
  /** The executions reef labelled: one pipeline's, or every pipeline's. */
  list(pipeline?: string): Promise<Execution[]>;
  /**
   * While executions are `pending`, how soon converge should look again (it answers
   * `requeueAfterMs`; the bridge converges the pipeline again then). Default 1 s.
   */
  readonly pendingRecheckMs?: number;
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

/**
 * An executor of single executions (process, docker): it knows how to do each step to one
 * execution; lib/converge's `applyPlan` decides the order, runs steps in parallel (bounded) and
 * collects their errors. Every step is idempotent (an already-started execution is not started
 * twice, an already-removed one is not an error), so a repeated or concurrent converge is harmless.
 */
export interface ReplicaExecutor extends ExecutorBase {
  /** Creates the replica's execution if absent, and starts it. */
  start(spec: StartSpec): Promise<void>;
  /** Starts an existing execution that is stopped or ended (same version and digest). */
  resume(execution: Execution): Promise<void>;
  /** Stops an execution but keeps it (paused). */
  stop(execution: Execution): Promise<void>;
  /** Stops and destroys an execution and every trace of it (records, logs, volumes…). */
  remove(execution: Execution): Promise<void>;
}

/** A target an executor of whole sets is asked to reach (never `unchanged`: then nothing is asked). */
export type SetTarget = Exclude<Target, { state: "unchanged" }>;

/**
 * An executor that manages a pipeline's whole set of executions itself (an ECS service runs
 * `desiredCount` tasks; a host places streams): it is given the target, declaratively, and makes
 * it so. Idempotent like the steps above; it never waits for the set to settle.
 */
export interface SetExecutor extends ExecutorBase {
  ensure(pipeline: string, target: SetTarget): Promise<void>;
}

export type Executor = ReplicaExecutor | SetExecutor;

/** Whether the executor takes whole targets (`ensure`) rather than steps. */
export function managesSets(executor: Executor): executor is SetExecutor {
  return typeof (executor as Partial<SetExecutor>).ensure === "function";
}

/** Describes an action in one line, for logs, events and the CLI. */
export function describeAction(a: Action): string {
  if (a.type === "start") return `start ${a.pipeline}#${a.replica} v${a.version}`;
  const e = a.execution;
  return `${a.type} ${e.pipeline}#${e.replica} v${e.version} (${e.id})`;
}
