// The autoscaling decision (CONTRACT.md §6), exhaustively, like the planner: every rule by example,
// then properties over arbitrary inputs. Also the `autoscale` block's validation in a definition.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  autoscaleNoEffect,
  parseDefinition,
  type Autoscale,
  type DesiredStatus,
  type Heartbeat,
} from "../../lib/model";
import { decideReplicas, lagSamples, redecide, type LagSample, type ScaleInput } from "../../lib/telemetry";

const NOW = Date.parse("2030-01-01T00:00:00.000Z");
const FRESH = 15_000;
const AUTO: Autoscale = { min: 1, max: 8, targetPending: 1000, cooldown: "60s" };

function input(over: Partial<ScaleInput> = {}): ScaleInput {
  return {
    autoscale: AUTO,
    status: "published",
    current: 2,
    lag: [],
    changedAt: NOW - 3_600_000,
    now: NOW,
    freshMs: FRESH,
    ...over,
  };
}

/** Lag samples `msAgo → pending`. */
function lag(...points: [msAgo: number, pending: number | null][]): LagSample[] {
  return points.map(([ago, pending]) => ({ at: NOW - ago, pending }));
}

describe("decideReplicas: scaling up", () => {
  it("wants ceil(pending / targetPending), at once, whatever the cooldown", () => {
    const d = decideReplicas(input({ lag: lag([1_000, 4_500]), changedAt: NOW - 1_000 }));
    expect(d.desired).toBe(5);
    expect(d.reason).toMatch(/pending 4500 .* → 5: up/);
  });

  it("never above max", () => {
    expect(decideReplicas(input({ lag: lag([0, 1_000_000]) })).desired).toBe(8);
  });

  it("reads the newest sample, not an older larger one", () => {
    expect(decideReplicas(input({ current: 1, lag: lag([10_000, 9_000], [1_000, 1_500]) })).desired).toBe(2);
  });

  it("an exact multiple needs no extra replica", () => {
    expect(decideReplicas(input({ current: 2, lag: lag([0, 2_000]) }))).toMatchObject({ desired: 2 });
    expect(decideReplicas(input({ current: 2, lag: lag([0, 2_001]) }))).toMatchObject({ desired: 3 });
  });
});

describe("decideReplicas: scaling down", () => {
  it("one step at a time once the cooldown is over and the lag does not grow", () => {
    const d = decideReplicas(input({ current: 6, lag: lag([30_000, 0], [1_000, 0]) }));
    expect(d).toMatchObject({ desired: 5 });
    expect(d.reason).toMatch(/one step down/);
  });

  it("not during the cooldown since the last change", () => {
    const d = decideReplicas(input({ current: 6, lag: lag([1_000, 0]), changedAt: NOW - 59_000 }));
    expect(d.desired).toBe(6);
    expect(d.reason).toMatch(/down after the cooldown \(1s left\)/);
  });

  it("the cooldown over exactly: down", () => {
    expect(decideReplicas(input({ current: 6, lag: lag([1_000, 0]), changedAt: NOW - 60_000 })).desired).toBe(
      5,
    );
  });

  it("not while the lag grows within the cooldown window", () => {
    const d = decideReplicas(input({ current: 6, lag: lag([40_000, 100], [1_000, 900]) }));
    expect(d.desired).toBe(6);
    expect(d.reason).toMatch(/lag grows \(100 → 900\)/);
  });

  it("growth older than the cooldown window does not hold it back", () => {
    expect(decideReplicas(input({ current: 6, lag: lag([90_000, 100], [1_000, 900]) })).desired).toBe(5);
  });

  it("a shrinking lag lets it go down", () => {
    expect(decideReplicas(input({ current: 6, lag: lag([40_000, 5_000], [1_000, 900]) })).desired).toBe(5);
  });

  it("never below min", () => {
    expect(decideReplicas(input({ current: 1, lag: lag([0, 0]) })).desired).toBe(1);
    const zero = { ...AUTO, min: 0 };
    expect(decideReplicas(input({ autoscale: zero, current: 1, lag: lag([0, 0]) })).desired).toBe(0);
  });

  it("never changed yet: the cooldown does not hold (converge counts it from the start)", () => {
    expect(decideReplicas(input({ current: 3, lag: lag([0, 0]), changedAt: null })).desired).toBe(2);
  });
});

describe("decideReplicas: nothing changes without a fresh heartbeat", () => {
  it("no heartbeat at all: the count stays", () => {
    const d = decideReplicas(input({ current: 3, lag: [] }));
    expect(d).toMatchObject({ desired: 3 });
    expect(d.reason).toMatch(/no fresh heartbeat/);
  });

  it("only stale heartbeats (an unknown lag is not zero)", () => {
    expect(decideReplicas(input({ current: 3, lag: lag([FRESH + 1, 0]) })).desired).toBe(3);
    expect(decideReplicas(input({ current: 3, lag: lag([FRESH + 1, 1_000_000]) })).desired).toBe(3);
  });

  it("fresh heartbeats without a JetStream consumer: autoscale has no effect, and the reason says so", () => {
    const d = decideReplicas(input({ current: 3, lag: lag([0, null]) }));
    expect(d.desired).toBe(3);
    expect(d.reason).toMatch(/no JetStream consumer lag reported: autoscale has no effect/);
  });

  it("min and max still bound the count (the user changed them)", () => {
    expect(decideReplicas(input({ current: 12, lag: [] })).desired).toBe(8);
    expect(decideReplicas(input({ autoscale: { ...AUTO, min: 4 }, current: 2, lag: [] })).desired).toBe(4);
    expect(decideReplicas(input({ current: 12, lag: [] })).reason).toMatch(/kept within min 1 and max 8/);
  });
});

describe("decideReplicas: paused and draft win", () => {
  it("paused: never scaled up, whatever the lag", () => {
    const d = decideReplicas(input({ status: "paused", current: 2, lag: lag([0, 1_000_000]) }));
    expect(d).toEqual({ desired: 2, reason: "paused: not scaled" });
  });

  it("paused: a lowered max still lowers the count", () => {
    expect(decideReplicas(input({ status: "paused", current: 12, lag: [] })).desired).toBe(8);
  });

  it("draft: nothing", () => {
    expect(decideReplicas(input({ status: "draft", lag: lag([0, 1_000_000]) })).desired).toBe(0);
  });
});

describe("decideReplicas: properties", () => {
  const autoscaleArb = fc
    .tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 }))
    .chain(([a, b]) =>
      fc.record({
        min: fc.constant(Math.min(a, b)),
        max: fc.constant(Math.max(a, b)),
        targetPending: fc.integer({ min: 1, max: 5_000 }),
        cooldown: fc.constantFrom("0s", "10s", "60s", "5m"),
      }),
    );
  const sampleArb = fc.record({
    at: fc.integer({ min: NOW - 600_000, max: NOW }),
    pending: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
  });
  const inputArb: fc.Arbitrary<ScaleInput> = fc.record({
    autoscale: autoscaleArb,
    status: fc.constantFrom<DesiredStatus>("published", "paused", "draft"),
    current: fc.integer({ min: 0, max: 12 }),
    lag: fc.array(sampleArb, { maxLength: 12 }),
    changedAt: fc.option(fc.integer({ min: NOW - 600_000, max: NOW }), { nil: null }),
    now: fc.constant(NOW),
    freshMs: fc.constantFrom(1_000, FRESH, 60_000),
  });

  it("published: within [min, max], up to the lag's need at most, down one step at most", () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const { desired } = decideReplicas(i);
        if (i.status !== "published") return;
        const { min, max } = i.autoscale;
        const bounded = Math.max(min, Math.min(max, i.current));
        expect(desired).toBeGreaterThanOrEqual(min);
        expect(desired).toBeLessThanOrEqual(max);
        expect(desired).toBeGreaterThanOrEqual(bounded - 1);
        if (desired > bounded) {
          const newest = i.lag
            .filter((s) => s.pending !== null && NOW - s.at <= i.freshMs)
            .sort((a, b) => b.at - a.at || b.pending! - a.pending!)[0];
          expect(desired).toBe(Math.min(max, Math.ceil(newest.pending! / i.autoscale.targetPending)));
        }
      }),
    );
  });

  it("without a fresh lag, only min and max move the count", () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const stale = {
          ...i,
          status: "published" as const,
          lag: i.lag.map((s) => ({ ...s, at: NOW - i.freshMs - 1 })),
        };
        const { min, max } = i.autoscale;
        expect(decideReplicas(stale).desired).toBe(Math.max(min, Math.min(max, i.current)));
      }),
    );
  });

  it("paused never goes up; draft is always 0", () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        expect(decideReplicas({ ...i, status: "paused" }).desired).toBeLessThanOrEqual(i.current);
        expect(decideReplicas({ ...i, status: "draft" }).desired).toBe(0);
      }),
    );
  });

  it("down happens only after the cooldown", () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const p = { ...i, status: "published" as const };
        const bounded = Math.max(i.autoscale.min, Math.min(i.autoscale.max, i.current));
        const { desired } = decideReplicas(p);
        if (desired < bounded && bounded === i.current && i.changedAt !== null) {
          expect(NOW - i.changedAt).toBeGreaterThanOrEqual(
            Number.parseInt(i.autoscale.cooldown) * (i.autoscale.cooldown.endsWith("m") ? 60_000 : 1_000),
          );
        }
      }),
    );
  });

  it("is deterministic (bridge and converge decide alike)", () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        expect(decideReplicas(i)).toEqual(decideReplicas(structuredClone(i)));
      }),
    );
  });
});

describe("lag samples from heartbeats and redecide from a status", () => {
  const hb = (replica: number, pending: number | null): Heartbeat =>
    ({ id: "p", replica, lag: pending === null ? null : { pending, ackPending: 0 } }) as Heartbeat;

  it("every kept heartbeat is a sample, with its server time", () => {
    const samples = lagSamples([
      { heartbeat: hb(0, 10), receivedAt: NOW, history: [{ heartbeat: hb(0, 20), receivedAt: NOW - 5_000 }] },
      { heartbeat: hb(1, null), receivedAt: NOW - 1_000 },
    ]);
    expect(samples).toEqual([
      { at: NOW, pending: 10 },
      { at: NOW - 5_000, pending: 20 },
      { at: NOW - 1_000, pending: null },
    ]);
  });

  it("decides again from the block and the last change a status carries", () => {
    const replicas = {
      desired: 1,
      current: 1,
      reason: "",
      changedAt: new Date(NOW).toISOString(),
      autoscale: AUTO,
    };
    const reports = [{ heartbeat: hb(0, 3_500), receivedAt: NOW }];
    expect(redecide(replicas, "published", reports, 5_000, NOW)?.desired).toBe(4);
    expect(redecide(replicas, "paused", reports, 5_000, NOW)?.desired).toBe(1);
    expect(redecide({ ...replicas, autoscale: undefined }, "published", reports, 5_000, NOW)).toBeUndefined();
  });
});

describe("the autoscale block of a definition", () => {
  const def = (autoscale: unknown) =>
    JSON.stringify({ id: "p", status: "published", version: "1", replicas: 2, autoscale });

  it("a valid block is kept; cooldown is a duration (a plain number is seconds)", () => {
    expect(parseDefinition("p", def(AUTO)).autoscale).toEqual(AUTO);
    expect(parseDefinition("p", def({ ...AUTO, cooldown: "1m30s" })).autoscale?.cooldown).toBe("1m30s");
    expect(parseDefinition("p", def({ ...AUTO, cooldown: 90 })).autoscale?.cooldown).toBe("90");
    expect(parseDefinition("p", def({ ...AUTO, min: 0, max: 0 })).autoscale).toMatchObject({
      min: 0,
      max: 0,
    });
  });

  it.each([
    [{ ...AUTO, min: 3, max: 2 }, "autoscale.min", /min 3 is above max 2/],
    [{ ...AUTO, min: -1 }, "autoscale.min", /integer >= 0/],
    [{ ...AUTO, max: 1.5 }, "autoscale.max", /integer >= 0/],
    [{ ...AUTO, max: 33 }, "autoscale.max", /at most 32 \(REEF_MAX_REPLICAS\)/],
    [{ ...AUTO, targetPending: 0 }, "autoscale.targetPending", /> 0/],
    [{ ...AUTO, targetPending: "many" }, "autoscale.targetPending", /> 0/],
    [{ ...AUTO, cooldown: "soon" }, "autoscale.cooldown", /duration like 90s/],
    [{ ...AUTO, cooldown: "60" + "x" }, "autoscale.cooldown", /duration/],
    [{ min: 1, max: 2, targetPending: 10 }, "autoscale.cooldown", /duration/],
    [{ ...AUTO, extra: 1 }, "autoscale", /unrecognized|extra/i],
    ["fast", "autoscale", /object/i],
  ])("%j is INVALID_DEFINITION at %s", (block, field, message) => {
    let error: unknown;
    try {
      parseDefinition("p", def(block));
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: "INVALID_DEFINITION", details: { field } });
    expect((error as Error).message).toMatch(message);
  });
});

describe("autoscale on a job", () => {
  it("is INVALID_DEFINITION, saying a job has no replicas to scale", () => {
    const job = { id: "p", status: "published", version: "1", mode: "job", autoscale: AUTO };
    expect(() => parseDefinition("p", JSON.stringify(job))).toThrow(
      expect.objectContaining({
        code: "INVALID_DEFINITION",
        details: expect.objectContaining({ field: "autoscale" }),
        message: expect.stringMatching(/autoscale needs mode "stream": a job runs once per trigger/),
      }),
    );
    expect(parseDefinition("p", JSON.stringify({ ...job, mode: "stream" })).autoscale).toEqual(AUTO);
  });
});

describe("inputs replicas cannot share: autoscale has no effect", () => {
  const js = (conf: Record<string, unknown>) => ({ input: { nats_jetstream: { subject: "a", ...conf } } });

  it.each([
    [js({ durable: "work" }), null],
    [js({ queue: "work" }), null],
    [{ input: { label: "in", nats_jetstream: { subject: "a", durable: "d" }, processors: [] } }, null],
    [{ input: { broker: { inputs: [{ generate: {} }, js({ durable: "d" }).input] } } }, null],
    [js({}), /nats_jetstream without durable or queue gives every replica its own consumer/],
    [
      { input: { generate: { mapping: "root = 1" } } },
      /input generate makes its own messages in every replica/,
    ],
    [
      { input: { nats: { subject: "a" } } },
      /input nats without queue delivers every message to every replica/,
    ],
    [
      { input: { nats: { subject: "a", queue: "q" } } },
      /input nats with queue shares its work but reports no JetStream consumer lag/,
    ],
    [{ input: { broker: { inputs: [{ generate: {} }] } } }, /broker has no nats_jetstream input/],
    [{ input: { kafka: {} } }, /input kafka reports no JetStream consumer lag/],
    [{ output: { drop: {} } }, /the config has no input/],
  ])("%j", (config, expected) => {
    const why = autoscaleNoEffect(config as Record<string, unknown>);
    if (expected === null) expect(why).toBeNull();
    else {
      expect(why).toMatch(expected);
      expect(why).toMatch(/autoscale has no effect/);
    }
  });

  it("the decision keeps the count within its bounds and says why, whatever the lag", () => {
    const noEffect = "input generate makes its own messages: autoscale has no effect";
    expect(decideReplicas(input({ current: 2, lag: lag([0, 1_000_000]), noEffect }))).toEqual({
      desired: 2,
      reason: noEffect,
    });
    expect(decideReplicas(input({ current: 20, lag: [], noEffect }))).toEqual({
      desired: 8,
      reason: `${noEffect}; kept within min 1 and max 8`,
    });
    expect(decideReplicas(input({ status: "paused", current: 2, noEffect })).reason).toBe(
      "paused: not scaled",
    );
  });
});
