// applyPlan: the one place that orders steps, bounds their parallelism and collects their errors,
// whatever the executor; an executor of whole sets is handed the target instead.
import { describe, expect, it } from "vitest";
import { applyPlan, plan } from "../../lib/converge";
import type { ReplicaExecutor, SetExecutor, SetTarget, StartSpec } from "../../lib/executors";
import { ExecutorError, NameConflictError, type Execution } from "../../lib/model";

const digest = "d".repeat(64);
const exec = (replica: number, version = "1", state: Execution["state"] = "running"): Execution => ({
  id: `x-${version}-${replica}`,
  pipeline: "p",
  version,
  digest,
  replica,
  state,
});

/** Records every step with the number of steps under way when it began; fails the ones asked to. */
class Recorder implements ReplicaExecutor {
  readonly kind = "process" as const;
  steps: string[] = [];
  peak = 0;
  private busy = 0;
  constructor(private readonly failing: Record<string, Error> = {}) {}
  async list(): Promise<Execution[]> {
    return [];
  }
  private async step(name: string): Promise<void> {
    this.busy++;
    this.peak = Math.max(this.peak, this.busy);
    this.steps.push(name);
    await new Promise((r) => setImmediate(r));
    this.busy--;
    if (this.failing[name]) throw this.failing[name];
  }
  start = (s: StartSpec) => this.step(`start ${s.replica}`);
  resume = (e: Execution) => this.step(`resume ${e.replica}`);
  stop = (e: Execution) => this.step(`stop ${e.replica}`);
  remove = (e: Execution) => this.step(`remove ${e.version}/${e.replica}`);
}

const published = (replicas: number) => ({ kind: "published" as const, version: "2", digest, replicas });

describe("applyPlan", () => {
  it("removes first, then starts; each phase in parallel, at most `parallelism` at a time", async () => {
    const r = new Recorder();
    const old = Array.from({ length: 5 }, (_, i) => exec(i));
    await applyPlan(r, plan("p", published(5), old), { parallelism: 2 });
    expect(r.steps.slice(0, 5).every((s) => s.startsWith("remove 1/"))).toBe(true);
    expect(r.steps.slice(5).every((s) => s.startsWith("start "))).toBe(true);
    expect(r.steps).toHaveLength(10);
    expect(r.peak).toBe(2);
  });

  it("a failed phase ends the plan: the rest of the phase runs, later phases do not", async () => {
    const r = new Recorder({ "remove 1/0": new ExecutorError("cannot remove") });
    const p = plan("p", published(2), [exec(0), exec(1)]);
    await expect(applyPlan(r, p)).rejects.toThrow("cannot remove");
    expect(r.steps.sort()).toEqual(["remove 1/0", "remove 1/1"]); // no start of v2 beside v1
  });

  it("of several failures, a name conflict is the one reported", async () => {
    const r = new Recorder({
      "start 0": new ExecutorError("daemon hiccup"),
      "start 1": new NameConflictError("reef-p-1"),
    });
    await expect(applyPlan(r, plan("p", published(2), []))).rejects.toBeInstanceOf(NameConflictError);
    expect(r.steps.sort()).toEqual(["start 0", "start 1"]);
  });

  it("an aborted signal starts nothing more and throws its reason", async () => {
    const r = new Recorder();
    const abort = new AbortController();
    abort.abort(new Error("deadline"));
    await expect(applyPlan(r, plan("p", published(3), []), { signal: abort.signal })).rejects.toThrow(
      "deadline",
    );
    expect(r.steps).toEqual([]);
  });

  it("an executor of whole sets gets the target, and nothing when the plan has no step", async () => {
    const ensured: [string, SetTarget][] = [];
    const sets: SetExecutor = {
      kind: "ecs",
      list: async () => [],
      ensure: async (pipeline, target) => void ensured.push([pipeline, target]),
    };
    await applyPlan(sets, plan("p", published(2), []));
    await applyPlan(sets, plan("p", published(1), [exec(0, "2")])); // converged: no call
    await applyPlan(sets, plan("p", { kind: "invalid", error: { code: "X", message: "x" } }, [exec(0)]));
    expect(ensured).toEqual([["p", { state: "running", version: "2", digest, replicas: 2 }]]);
  });
});

describe("plan: restarts of failed executions are paced", () => {
  const failed = { ...exec(0, "2", "failed"), startedAt: "2030-01-01T00:00:00.000Z" };
  const at = (s: number) => Date.parse("2030-01-01T00:00:00.000Z") + s * 1_000;

  it("holds back a restart within the interval after the last start, and says when it is due", () => {
    const p = plan("p", published(1), [failed], { now: at(10), restartIntervalMs: 30_000 });
    expect(p.actions).toEqual([]);
    expect(p.restartDueInMs).toBe(20_000);
  });

  it("restarts once the interval has passed (and without a clock, at once)", () => {
    const types = (now?: number) =>
      plan("p", published(1), [failed], { now, restartIntervalMs: 30_000 }).actions.map((a) => a.type);
    expect(types(at(30))).toEqual(["resume"]);
    expect(types(undefined)).toEqual(["resume"]);
  });
});
