// The pure parts of lib/telemetry: health folding (every rule of CONTRACT.md §6), Benthos metrics
// mapping, log levels and the log rate bound.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Heartbeat } from "../../lib/model";
import {
  benthosMetrics,
  componentOf,
  foldHealth,
  levelOf,
  LogPublisher,
  messageOf,
  type ObservedExecution,
  type ReplicaReport,
} from "../../lib/telemetry";

const I = 1_000;
const NOW = Date.parse("2030-01-01T00:00:00.000Z");
const STARTED = new Date(NOW - 60_000).toISOString();

function hb(replica: number, over: Partial<Heartbeat> = {}): Heartbeat {
  return {
    id: "p",
    replica,
    execution: `reef-p-${replica}`,
    version: "1",
    digest: "d",
    engine: "builtin",
    state: "running",
    startedAt: STARTED,
    updatedAt: new Date(NOW).toISOString(),
    counters: { received: 10, sent: 10, errors: 0 },
    rates: { received: 2, sent: 2, errors: 0 },
    latencyMs: { p50: 1, p99: 2 },
    inFlight: 0,
    lag: null,
    lastError: null,
    memoryBytes: 1,
    ...over,
  };
}
const report = (h: Heartbeat, ageMs = 0, history?: ReplicaReport["history"]): ReplicaReport => ({
  heartbeat: h,
  receivedAt: NOW - ageMs,
  ...(history ? { history } : {}),
});
const running = (replica: number, startedAt = STARTED): ObservedExecution => ({
  replica,
  state: "running",
  startedAt,
});
const fold = (executions: ObservedExecution[], reports: ReplicaReport[]) =>
  foldHealth({ executions, reports, intervalMs: I, now: NOW });

describe("foldHealth", () => {
  it("unknown when nothing runs (heartbeats of stopped executions do not count)", () => {
    expect(fold([], [report(hb(0))]).state).toBe("unknown");
    expect(fold([{ replica: 0, state: "stopped" }], [report(hb(0))])).toMatchObject({
      state: "unknown",
      replicasReporting: 0,
      lastError: null,
    });
  });

  it("healthy when every running execution reports and none had errors in its last interval", () => {
    const h = fold([running(0), running(1)], [report(hb(0)), report(hb(1), 2_900)]);
    expect(h).toMatchObject({
      state: "healthy",
      replicasReporting: 2,
      rates: { received: 4, sent: 4, errors: 0 },
    });
  });

  it("degraded on errors in the last interval, with the newest error and its replica", () => {
    const old = { message: "old", component: "output", at: new Date(NOW - 5_000).toISOString() };
    const fresh = {
      message: "boom",
      component: "pipeline.processors.0",
      at: new Date(NOW - 100).toISOString(),
    };
    const h = fold(
      [running(0), running(1)],
      [
        report(hb(0, { lastError: old })),
        report(hb(1, { rates: { received: 1, sent: 0, errors: 1 }, lastError: fresh })),
      ],
    );
    expect(h).toMatchObject({ state: "degraded", lastError: { ...fresh, replica: 1 }, rates: { errors: 1 } });
  });

  it("an old error alone (no errors in the last interval) stays healthy", () => {
    const old = { message: "old", component: "output", at: new Date(NOW - 5_000).toISOString() };
    expect(fold([running(0)], [report(hb(0, { lastError: old }))]).state).toBe("healthy");
  });

  it("degraded when input was received while nothing was sent for 3 intervals", () => {
    const stuck = hb(0, {
      counters: { received: 40, sent: 10, errors: 0 },
      rates: { received: 10, sent: 0, errors: 0 },
    });
    const before = {
      heartbeat: hb(0, { counters: { received: 10, sent: 10, errors: 0 } }),
      receivedAt: NOW - 3 * I,
    };
    expect(fold([running(0)], [report(stuck, 0, [before])]).state).toBe("degraded");
    // only 1 interval of silence so far: not yet
    const recent = { ...before, receivedAt: NOW - I };
    expect(fold([running(0)], [report(stuck, 0, [recent])]).state).toBe("healthy");
    // it did send something in the window: not stalled
    const sent = {
      heartbeat: hb(0, { counters: { received: 10, sent: 9, errors: 0 } }),
      receivedAt: NOW - 3 * I,
    };
    expect(fold([running(0)], [report(stuck, 0, [sent])]).state).toBe("healthy");
    // a previous life of the execution does not count
    const previousLife = {
      heartbeat: hb(0, { startedAt: "2000-01-01T00:00:00.000Z" }),
      receivedAt: NOW - 3 * I,
    };
    expect(fold([running(0)], [report(stuck, 0, [previousLife])]).state).toBe("healthy");
  });

  it("unresponsive when a running execution sent no heartbeat for 3 intervals", () => {
    expect(fold([running(0)], [report(hb(0), 3 * I + 1)]).state).toBe("unresponsive");
    expect(fold([running(0), running(1)], [report(hb(0))]).state).toBe("unresponsive");
    // errors elsewhere do not hide it
    expect(
      fold([running(0), running(1)], [report(hb(0, { rates: { received: 1, sent: 0, errors: 1 } }))]).state,
    ).toBe("unresponsive");
  });

  it("a new execution has 3 intervals to send its first heartbeat", () => {
    const justStarted = running(0, new Date(NOW - I).toISOString());
    expect(fold([justStarted], []).state).toBe("unknown");
    expect(fold([justStarted, running(1)], [report(hb(1))]).state).toBe("healthy");
    expect(fold([running(0, new Date(NOW - 4 * I).toISOString())], []).state).toBe("unresponsive");
    // a stale heartbeat of its previous life does not cut the grace short
    expect(fold([justStarted], [report(hb(0), 10 * I)]).state).toBe("unknown");
    // without a start time there is no grace
    expect(fold([{ replica: 0, state: "running" }], []).state).toBe("unresponsive");
  });

  it("a failed heartbeat state is degraded", () => {
    expect(fold([running(0)], [report(hb(0, { state: "failed" }))]).state).toBe("degraded");
  });

  it("lag: the largest reported (replicas share one consumer); null without one", () => {
    const h = fold(
      [running(0), running(1)],
      [
        report(hb(0, { lag: { pending: 5, ackPending: 2 } })),
        report(hb(1, { lag: { pending: 7, ackPending: 1 } })),
      ],
    );
    expect(h.lag).toEqual({ pending: 7, ackPending: 2 });
    expect(fold([running(0)], [report(hb(0))]).lag).toBeNull();
  });

  it("properties: unknown iff nothing runs or nothing reports yet; rates are sums; reporting ≤ running", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            state: fc.constantFrom("running", "pending", "stopped", "failed"),
            age: fc.option(fc.integer({ min: 0, max: 10 * I })),
            errors: fc.constantFrom(0, 0, 1),
            startedAgo: fc.integer({ min: 0, max: 10 * I }),
          }),
          { maxLength: 5 },
        ),
        (rows) => {
          const executions = rows.map((r, i) => ({
            replica: i,
            state: r.state,
            startedAt: new Date(NOW - r.startedAgo).toISOString(),
          }));
          const reports = rows.flatMap((r, i) =>
            r.age === null
              ? []
              : [report(hb(i, { rates: { received: 1, sent: 1, errors: r.errors } }), r.age)],
          );
          const h = fold(executions, reports);
          const runningCount = executions.filter((e) => e.state === "running").length;
          expect(h.replicasReporting).toBeLessThanOrEqual(runningCount);
          if (runningCount === 0) expect(h.state).toBe("unknown");
          if (h.state === "healthy") expect(h.rates.errors).toBe(0);
          expect(h.rates.received).toBe(h.replicasReporting);
        },
      ),
    );
  });
});

const BENTHOS = `# HELP input_received Benthos Counter metric
# TYPE input_received counter
input_received{label="",path="root.input"} 1200
input_received{label="",path="root.input.broker.inputs.0"} 1200
# TYPE output_sent counter
output_sent{label="out",path="root.output"} 1195
output_sent{label="",path="root.output.broker.outputs.0"} 1195
# TYPE output_error counter
output_error{label="out",path="root.output"} 3
# TYPE processor_error counter
processor_error{label="",path="root.pipeline.processors.0"} 1
processor_error{label="",path="root.pipeline.processors.1"} 1
# HELP output_latency_ns Benthos Timing metric
# TYPE output_latency_ns summary
output_latency_ns{label="",path="root.output.broker.outputs.0",quantile="0.5"} 9e+06
output_latency_ns{label="out",path="root.output",quantile="0.5"} 1.2e+06
output_latency_ns{label="out",path="root.output",quantile="0.9"} 4e+06
output_latency_ns{label="out",path="root.output",quantile="0.99"} 8e+06
output_latency_ns_sum{label="out",path="root.output"} 1.9e+09
output_latency_ns_count{label="out",path="root.output"} 1195
`;

describe("Benthos metrics", () => {
  it("maps root input/output counters, every processor error and the root output's latency", () => {
    expect(benthosMetrics(BENTHOS)).toEqual({
      counters: { received: 1200, sent: 1195, errors: 5 },
      latencyMs: { p50: 1.2, p99: 8 },
    });
  });
  it("an empty or foreign page is all zeros", () => {
    expect(benthosMetrics("go_goroutines 12\n")).toEqual({
      counters: { received: 0, sent: 0, errors: 0 },
      latencyMs: { p50: 0, p99: 0 },
    });
  });
});

describe("log lines", () => {
  it("reads levels, messages and components of Benthos logfmt and JSON lines", () => {
    const logfmt =
      'level=error msg="Failed to send: nats: timeout" @service=benthos label="" path=root.output';
    expect([levelOf(logfmt), messageOf(logfmt), componentOf(logfmt)]).toEqual([
      "error",
      "Failed to send: nats: timeout",
      "output",
    ]);
    const json = '{"level":"warning","msg":"slow","path":"root.pipeline.processors.0"}';
    expect([levelOf(json), messageOf(json), componentOf(json)]).toEqual([
      "warn",
      "slow",
      "pipeline.processors.0",
    ]);
    expect(levelOf('{"greeting":"hello"}')).toBe("info");
  });

  it("bounds the rate per execution and says how many lines were dropped", () => {
    let now = 0;
    const sent: { level: string; message: string }[] = [];
    const p = new LogPublisher({
      publish: (l) => sent.push(l),
      replica: () => 0,
      perSecond: 10,
      maxLineBytes: 100,
      now: () => now,
    });
    for (let i = 0; i < 50; i++) p.line("info", `line ${i}`);
    expect(sent).toHaveLength(10);
    expect(p.droppedLines).toBe(40);
    now += 1_000;
    p.line("info", "after");
    expect(sent.slice(10).map((l) => l.message)).toEqual([
      "reef: 40 log lines dropped (more than 10 lines/s; REEF_LOGS_RATE)",
      "after",
    ]);
    p.line("info", "x".repeat(500));
    expect(Buffer.byteLength(sent.at(-1)!.message)).toBeLessThanOrEqual(104);
  });

  it("holds lines until the replica is known (a claimed slot), then sends them with it", () => {
    const slot: { replica?: number } = {};
    const sent: { replica: number }[] = [];
    const p = new LogPublisher({
      publish: (l) => sent.push(l),
      replica: () => slot.replica,
      perSecond: 10,
      maxLineBytes: 100,
    });
    p.line("info", "early");
    expect(sent).toEqual([]);
    slot.replica = 3;
    p.line("info", "later");
    expect(sent.map((l) => l.replica)).toEqual([3, 3]);
  });
});
