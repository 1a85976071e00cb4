import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plan, type Desired } from "../../lib/converge";
import type { Action } from "../../lib/executors";
import type { Execution, ExecutionState } from "../../lib/model";

const STATES: ExecutionState[] = ["pending", "running", "stopped", "exited", "failed"];
const exec = (
  replica: number,
  version: string,
  state: ExecutionState,
  digest = `d${version}`,
): Execution => ({
  id: `x-${replica}-${version}-${state}`,
  pipeline: "p",
  version,
  digest,
  replica,
  state,
});
const published = (version: string, replicas = 1): Desired => ({
  kind: "published",
  version,
  digest: `d${version}`,
  replicas,
});
const kinds = (actions: Action[]) =>
  actions.map((a) =>
    a.type === "start" ? `start#${a.replica}@${a.version}` : `${a.type}:${a.execution.id}`,
  );

describe("plan: every desired state × every observed execution state", () => {
  for (const state of STATES) {
    it(`published, same version, ${state}`, () => {
      const p = plan("p", published("1"), [exec(0, "1", state)]);
      const expected = state === "running" || state === "pending" ? [] : [`resume:x-0-1-${state}`];
      expect(kinds(p.actions)).toEqual(expected);
    });
    it(`published, other version, ${state}: replaced`, () => {
      const p = plan("p", published("2"), [exec(0, "1", state)]);
      expect(kinds(p.actions)).toEqual([`remove:x-0-1-${state}`, "start#0@2"]);
    });
    it(`published, same version but other digest, ${state}: replaced`, () => {
      const p = plan("p", published("1"), [exec(0, "1", state, "other")]);
      expect(kinds(p.actions)).toEqual([`remove:x-0-1-${state}`, "start#0@1"]);
    });
    it(`paused, ${state}`, () => {
      const p = plan("p", { kind: "paused", version: "1" }, [exec(0, "1", state)]);
      const expected = state === "stopped" ? [] : [`stop:x-0-1-${state}`];
      expect(kinds(p.actions)).toEqual(expected);
      expect(p.target).toEqual({ state: "stopped" });
    });
    for (const kind of ["draft", "deleted"] as const) {
      it(`${kind}, ${state}: removed`, () => {
        const p = plan("p", { kind }, [exec(0, "1", state)]);
        expect(kinds(p.actions)).toEqual([`remove:x-0-1-${state}`]);
      });
    }
    it(`invalid, ${state}: left as it is (last-known-good)`, () => {
      const p = plan("p", { kind: "invalid", error: { code: "INVALID_CONFIG", message: "x" } }, [
        exec(0, "1", state),
      ]);
      expect(p.actions).toEqual([]);
      expect(p.target).toEqual({ state: "unchanged" });
    });
  }

  it("published with nothing running starts every replica", () => {
    expect(kinds(plan("p", published("1", 3), []).actions)).toEqual(["start#0@1", "start#1@1", "start#2@1"]);
  });
  it("scales down by removing the highest replicas", () => {
    const p = plan("p", published("1", 1), [
      exec(0, "1", "running"),
      exec(1, "1", "running"),
      exec(2, "1", "running"),
    ]);
    expect(kinds(p.actions)).toEqual(["remove:x-1-1-running", "remove:x-2-1-running"]);
  });
  it("keeps the most alive duplicate of a replica and removes the rest", () => {
    const dup = { ...exec(0, "1", "stopped"), id: "a" };
    const p = plan("p", published("1"), [dup, exec(0, "1", "running")]);
    expect(kinds(p.actions)).toEqual(["remove:a"]);
  });
  it("ignores other pipelines' executions", () => {
    const other = { ...exec(0, "1", "running"), pipeline: "q" };
    expect(plan("p", { kind: "draft" }, [other]).actions).toEqual([]);
  });
  it("nothing to do for draft and deleted with nothing observed", () => {
    expect(plan("p", { kind: "draft" }, []).actions).toEqual([]);
    expect(plan("p", { kind: "deleted" }, []).actions).toEqual([]);
  });
});

// A small model of an executor: applying a plan to a set of executions.
let started = 0; // execution ids are unique across the whole run, as a real executor's are
function applyPlan(observed: Execution[], actions: Action[]): Execution[] {
  let out = [...observed];
  for (const a of actions) {
    if (a.type === "start") {
      out.push({
        id: `new${started++}`,
        pipeline: a.pipeline,
        version: a.version,
        digest: a.digest,
        replica: a.replica,
        state: "running",
      });
    } else if (a.type === "remove") out = out.filter((e) => e.id !== a.execution.id);
    else {
      const state: ExecutionState = a.type === "stop" ? "stopped" : "running";
      out = out.map((e) => (e.id === a.execution.id ? { ...e, state } : e));
    }
  }
  return out;
}

const desiredArb: fc.Arbitrary<Desired> = fc.oneof(
  fc
    .record({
      kind: fc.constant("published" as const),
      version: fc.constantFrom("1", "2", "3"),
      replicas: fc.integer({ min: 0, max: 3 }),
    })
    .map((d) => ({ ...d, digest: `d${d.version}` })),
  fc.record({ kind: fc.constant("paused" as const), version: fc.constantFrom("1", "2") }),
  fc.constant({ kind: "draft" as const }),
  fc.constant({ kind: "deleted" as const }),
);

describe("plan: properties", () => {
  it("replaying any sequence of definitions, duplicated and reordered, ends in the state of the last", () => {
    fc.assert(
      fc.property(
        fc.array(desiredArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 5 }),
        (seq, dups) => {
          // Events arrive duplicated and out of order, but converge always reads the CURRENT
          // definition: the last one. Every converge after the last write acts on it.
          const noisy = [...seq, ...seq.slice(0, dups).reverse()];
          let world: Execution[] = [];
          for (const d of noisy) world = applyPlan(world, plan("p", d, world).actions);
          const last = seq.at(-1)!;
          world = applyPlan(world, plan("p", last, world).actions);
          // and once converged, converging again does nothing (idempotent)
          expect(plan("p", last, world).actions).toEqual([]);
          if (last.kind === "published") {
            expect(world).toHaveLength(last.replicas);
            expect(world.every((e) => e.version === last.version && e.state === "running")).toBe(true);
            expect(new Set(world.map((e) => e.replica)).size).toBe(last.replicas);
          } else if (last.kind === "paused") {
            expect(world.every((e) => e.state !== "running")).toBe(true);
          } else {
            expect(world).toEqual([]);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
