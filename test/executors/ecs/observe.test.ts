// How ECS service descriptions map to reef executions (pure).
import type { Service } from "@aws-sdk/client-ecs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serviceExecutions } from "../../../lib/executors/ecs/internal";

const ARN = "arn:aws:ecs:us-east-1:1:service/reef-dev/reef-a";
const TD1 = "arn:aws:ecs:us-east-1:1:task-definition/reef-a:1";
const TD2 = "arn:aws:ecs:us-east-1:1:task-definition/reef-a:2";
const ids: Record<string, { version: string; digest: string }> = {
  [TD1]: { version: "1", digest: "d1" },
  [TD2]: { version: "2", digest: "d2" },
};
const identity = (arn: string | undefined) => (arn ? ids[arn] : undefined);
const t0 = new Date("2026-11-24T10:00:00Z");
const later = (s: number) => new Date(t0.getTime() + s * 1000);

function service(over: Partial<Service>): Service {
  return {
    serviceArn: ARN,
    serviceName: "reef-a",
    status: "ACTIVE",
    taskDefinition: TD2,
    desiredCount: 2,
    runningCount: 0,
    pendingCount: 0,
    tags: [{ key: "reef.pipeline", value: "a" }],
    deployments: [
      { id: "d-2", status: "PRIMARY", taskDefinition: TD2, desiredCount: 2, runningCount: 0, createdAt: t0 },
    ],
    events: [],
    ...over,
  };
}
const states = (s: Service) =>
  serviceExecutions(s, identity).map((e) => `${e.version}:${e.replica}:${e.state}`);

describe("serviceExecutions", () => {
  it("ignores services without the reef.pipeline tag and deleted ones", () => {
    expect(serviceExecutions(service({ tags: [] }), identity)).toEqual([]);
    expect(serviceExecutions(service({ status: "INACTIVE" }), identity)).toEqual([]);
  });

  it("reports a placement failure from the newest event, but not an event older than the deployment", () => {
    const placement = "(service reef-a) was unable to place a task because no subnet was found.";
    const failing = serviceExecutions(
      service({ events: [{ id: "e", createdAt: later(5), message: placement }] }),
      identity,
    );
    expect(failing.map((e) => e.state)).toEqual(["failed", "failed"]);
    expect(failing[0].error).toEqual({ code: "EXECUTOR_ERROR", message: `ECS: ${placement}` });

    const stale = service({ events: [{ id: "e", createdAt: later(-60), message: placement }] });
    expect(states(stale)).toEqual(["2:0:pending", "2:1:pending"]);
    // A newer ordinary event means the problem is not the story any more.
    const recovered = service({
      events: [
        {
          id: "e2",
          createdAt: later(10),
          message: "(service reef-a) has started 2 tasks: (task 1) (task 2).",
        },
        { id: "e1", createdAt: later(5), message: placement },
      ],
    });
    expect(states(recovered)).toEqual(["2:0:pending", "2:1:pending"]);
  });

  it("during a rollout reports the old deployment's tasks with the old version", () => {
    const s = service({
      deployments: [
        {
          id: "d-2",
          status: "PRIMARY",
          taskDefinition: TD2,
          desiredCount: 2,
          runningCount: 1,
          createdAt: t0,
        },
        {
          id: "d-1",
          status: "ACTIVE",
          taskDefinition: TD1,
          desiredCount: 0,
          runningCount: 1,
          pendingCount: 0,
        },
      ],
    });
    const list = serviceExecutions(s, identity);
    expect(list.map((e) => `${e.version}:${e.replica}:${e.state}`)).toEqual([
      "2:0:running",
      "2:1:pending",
      "1:0:running",
    ]);
    expect(new Set(list.map((e) => e.id)).size).toBe(3);
  });

  it("falls back to the service's tags when a revision cannot be identified", () => {
    const s = service({
      taskDefinition: "arn:aws:ecs:us-east-1:1:task-definition/reef-a:9",
      deployments: [],
      runningCount: 2,
      tags: [
        { key: "reef.pipeline", value: "a" },
        { key: "reef.version", value: "7" },
        { key: "reef.digest", value: "d7" },
      ],
    });
    expect(states(s)).toEqual(["7:0:running", "7:1:running"]);
  });

  it("paused: pending while tasks stop, then one stopped execution", () => {
    const stopping = service({
      desiredCount: 0,
      deployments: [{ id: "d-2", status: "PRIMARY", taskDefinition: TD2, desiredCount: 0, runningCount: 2 }],
    });
    expect(states(stopping)).toEqual(["2:0:pending", "2:1:pending"]);
    const stopped = service({
      desiredCount: 0,
      deployments: [{ id: "d-2", status: "PRIMARY", taskDefinition: TD2, desiredCount: 0, runningCount: 0 }],
    });
    expect(serviceExecutions(stopped, identity)).toEqual([
      { id: `${ARN}#0`, pipeline: "a", version: "2", digest: "d2", replica: 0, state: "stopped" },
    ]);
  });

  it("draining: remaining tasks pending, none once gone", () => {
    expect(states(service({ status: "DRAINING", desiredCount: 0, runningCount: 1 }))).toEqual([
      "2:0:pending",
    ]);
    expect(states(service({ status: "DRAINING", desiredCount: 0, runningCount: 0 }))).toEqual([]);
  });
});

describe("serviceExecutions invariants (property)", () => {
  it("an ACTIVE service always maps to unique ids, its own pipeline, and exactly desiredCount primary replicas", () => {
    const count = fc.integer({ min: 0, max: 6 });
    fc.assert(
      fc.property(
        count,
        count,
        count,
        count,
        fc.boolean(),
        fc.constantFrom("IN_PROGRESS", "COMPLETED", "FAILED"),
        (desired, running, pending, oldRunning, rollout, rolloutState) => {
          const deployments = [
            {
              id: "d-2",
              status: "PRIMARY",
              taskDefinition: TD2,
              desiredCount: desired,
              runningCount: running,
              pendingCount: pending,
              rolloutState: rolloutState as "FAILED",
              createdAt: t0,
            },
            ...(rollout
              ? [
                  {
                    id: "d-1",
                    status: "ACTIVE",
                    taskDefinition: TD1,
                    desiredCount: 0,
                    runningCount: oldRunning,
                  },
                ]
              : []),
          ];
          const list = serviceExecutions(service({ desiredCount: desired, deployments }), identity);
          expect(new Set(list.map((e) => e.id)).size).toBe(list.length);
          expect(list.every((e) => e.pipeline === "a")).toBe(true);
          const current = list.filter((e) => e.version === "2");
          if (desired > 0) {
            expect(current.map((e) => e.replica)).toEqual([...Array(desired).keys()]);
            expect(current.filter((e) => e.state === "running").length).toBe(Math.min(running, desired));
            // FAILED only ever marks replicas that do not run.
            for (const e of current)
              if (e.state === "failed") expect(e.replica).toBeGreaterThanOrEqual(running);
          } else {
            const alive = running + pending + (rollout ? oldRunning : 0);
            expect(list.length).toBe(alive === 0 ? 1 : alive);
            expect(list.every((e) => e.state === (alive === 0 ? "stopped" : "pending"))).toBe(true);
          }
        },
      ),
    );
  });
});
