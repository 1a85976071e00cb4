// The planner: one pure function from (desired, observed executions) to a plan. All convergence
// rules live here (DESIGN.md "Rules that make convergence correct"); it does no I/O.
import type { Execution, ExecutionState, JobSettings, StatusError } from "../model";
import type { Action, Plan, Target } from "../executors/types";

/** What the current definition asks for, already resolved against the config store. */
export type Desired =
  /** `job`: a job pipeline (CONTRACT.md §8), converged by lib/converge/job.ts, not planned here. */
  | { kind: "published"; version: string; digest: string; replicas: number; job?: JobSettings }
  | { kind: "paused"; version?: string; job?: JobSettings }
  | { kind: "draft" }
  /** Key deleted or purged (or never existed). */
  | { kind: "deleted" }
  /** The definition or its config is unusable: nothing new starts, nothing running stops. */
  | { kind: "invalid"; error: StatusError };

// Which execution to keep when a replica slot has several: the most alive one.
const KEEP_ORDER: Record<ExecutionState, number> = {
  running: 0,
  pending: 1,
  stopped: 2,
  exited: 3,
  failed: 4,
};

/**
 * A failed or ended execution is restarted no sooner than this after its last start: a crash loop
 * restarts at this pace (and its status shows the failure meanwhile), while one that ran for long
 * and then stopped is restarted at once.
 */
export const RESTART_INTERVAL_MS = 30_000;

export interface PlanOptions {
  /** The time to judge restarts by (ms since the epoch); without it, ended executions restart at once. */
  now?: number;
  restartIntervalMs?: number;
}

export function plan(
  pipeline: string,
  desired: Desired,
  observed: Execution[],
  opts: PlanOptions = {},
): Plan {
  const mine = observed.filter((e) => e.pipeline === pipeline);
  switch (desired.kind) {
    case "invalid":
      return { pipeline, target: { state: "unchanged" }, actions: [] };
    case "draft":
    case "deleted":
      return {
        pipeline,
        target: { state: "absent" },
        actions: mine.map((execution) => ({ type: "remove", execution })),
      };
    case "paused":
      return {
        pipeline,
        target: { state: "stopped" },
        // Anything not stopped on purpose is stopped: a crashed execution may otherwise be
        // restarted by its runtime (Docker's restart policy) while the pipeline is paused.
        actions: mine.filter((e) => e.state !== "stopped").map((execution) => ({ type: "stop", execution })),
      };
    case "published":
      return planPublished(pipeline, desired, mine, opts);
  }
}

function planPublished(
  pipeline: string,
  desired: Extract<Desired, { kind: "published" }>,
  mine: Execution[],
  opts: PlanOptions,
): Plan {
  const target: Target = { state: "running", ...pick(desired, ["version", "digest", "replicas"]) };
  let restartDueInMs: number | undefined;
  const removals: Action[] = [];
  const starts: Action[] = [];
  const bySlot = new Map<number, Execution[]>();
  for (const e of mine) {
    const wanted =
      e.version === desired.version && e.digest === desired.digest && e.replica < desired.replicas;
    if (!wanted) {
      removals.push({ type: "remove", execution: e });
      continue;
    }
    bySlot.set(e.replica, [...(bySlot.get(e.replica) ?? []), e]);
  }
  for (let replica = 0; replica < desired.replicas; replica++) {
    const candidates = (bySlot.get(replica) ?? []).sort(
      (a, b) => KEEP_ORDER[a.state] - KEEP_ORDER[b.state] || a.id.localeCompare(b.id),
    );
    const [keep, ...extra] = candidates;
    for (const e of extra) removals.push({ type: "remove", execution: e });
    if (!keep) {
      starts.push({ type: "start", pipeline, replica, version: desired.version, digest: desired.digest });
    } else if (keep.state !== "running" && keep.state !== "pending") {
      const wait = restartWait(keep, opts);
      if (wait > 0) restartDueInMs = Math.min(restartDueInMs ?? wait, wait);
      else starts.push({ type: "resume", execution: keep });
    }
  }
  return {
    pipeline,
    target,
    actions: [...removals, ...starts],
    ...(restartDueInMs !== undefined ? { restartDueInMs } : {}),
  };
}

/** How long a failed or ended execution must still wait before it is restarted (0: now). */
function restartWait(e: Execution, opts: PlanOptions): number {
  if ((e.state !== "failed" && e.state !== "exited") || opts.now === undefined || !e.startedAt) return 0;
  const since = opts.now - Date.parse(e.startedAt);
  if (Number.isNaN(since)) return 0;
  return Math.max(0, (opts.restartIntervalMs ?? RESTART_INTERVAL_MS) - since);
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, obj[k]])) as Pick<T, K>;
}
