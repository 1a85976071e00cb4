// Carrying out a plan: the one place that orders steps, runs them in parallel (bounded) and
// collects their errors, for every executor. The planner stays pure; executors only know how.
import { forEachBounded, NameConflictError, type Log } from "../model";
import {
  describeAction,
  managesSets,
  type Action,
  type Executor,
  type Plan,
  type ReplicaExecutor,
} from "../executors/types";

/** Steps of one phase that run at once. */
export const APPLY_PARALLELISM = 8;

export interface ApplyOptions {
  /** Steps of one phase that run at once (default APPLY_PARALLELISM). */
  parallelism?: number;
  /** Aborted: no step starts any more; the steps under way finish, then the abort reason is thrown. */
  signal?: AbortSignal;
  log?: Log;
}

/**
 * Phases, in order: removals first (a replacement may reuse the name, and two versions must not run
 * side by side), then stops, then starts and resumes. A phase starts once the one before ended
 * without error.
 */
const PHASES: Action["type"][][] = [["remove"], ["stop"], ["start", "resume"]];

/**
 * Carries out one pipeline's plan with its executor: an executor of whole sets is handed the
 * target (only when the plan has something to do, so a converged pipeline costs no call); an
 * executor of single executions gets every step, phase by phase. When steps fail, the others of
 * their phase still run, later phases do not, and the most telling error is thrown (a name
 * conflict first, else the first failed step's).
 */
export async function applyPlan(executor: Executor, plan: Plan, opts: ApplyOptions = {}): Promise<void> {
  if (plan.actions.length === 0) return;
  opts.signal?.throwIfAborted();
  if (managesSets(executor)) {
    if (plan.target.state !== "unchanged") await executor.ensure(plan.pipeline, plan.target);
    return;
  }
  for (const types of PHASES) {
    const steps = plan.actions.filter((a) => types.includes(a.type));
    const failures: { action: Action; error: unknown }[] = [];
    await forEachBounded(steps, opts.parallelism ?? APPLY_PARALLELISM, opts.signal, async (action) => {
      try {
        await perform(executor, action);
      } catch (error) {
        failures.push({ action, error });
      }
    });
    opts.signal?.throwIfAborted();
    if (failures.length) {
      for (const f of failures) {
        opts.log?.warn("step failed", {
          pipeline: plan.pipeline,
          step: describeAction(f.action),
          error: String(f.error),
        });
      }
      throw (failures.find((f) => f.error instanceof NameConflictError) ?? failures[0]).error;
    }
  }
}

function perform(executor: ReplicaExecutor, action: Action): Promise<void> {
  switch (action.type) {
    case "start": {
      const { type: _type, ...spec } = action;
      return executor.start(spec);
    }
    case "resume":
      return executor.resume(action.execution);
    case "stop":
      return executor.stop(action.execution);
    case "remove":
      return executor.remove(action.execution);
  }
}
