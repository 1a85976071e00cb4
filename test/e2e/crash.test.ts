// Crash safety: 200 definition changes in a burst, the bridge SIGKILLed in the middle and restarted:
// every pipeline ends in the state of its LAST definition; nothing missed, no orphan, all acked.
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "../helpers/nats";
import { listExecutions, startStack, type Stack } from "./harness";

const CONFIG = new TextEncoder().encode(
  "input:\n  generate:\n    mapping: 'root = 1'\noutput:\n  drop: {}\n",
);
const PIPELINES = 40;
const CHANGES_EACH = 5; // 200 changes

let s: Stack;
beforeAll(async () => {
  s = await startStack();
}, 120_000);
afterAll(async () => {
  await s?.close();
});

type Final = "published" | "paused" | "draft" | "deleted";

/** The change sequence of pipeline i; its last element is the final state. Few end published (processes). */
function changes(i: number): Final[] {
  const last: Final = i % 10 === 0 ? "published" : (["paused", "draft", "deleted"] as const)[i % 3];
  const before: Final[] = ["draft", "paused", i % 7 === 0 ? "published" : "draft", "paused"];
  return [...before.slice(0, CHANGES_EACH - 1), last];
}

it("loses no change when the bridge is SIGKILLed in the middle of a 200-change burst", async () => {
  const durable = "crash";
  const extra = { REEF_BRIDGE_DURABLE: durable, REEF_BRIDGE_ACK_WAIT: "3s", REEF_RESYNC_INTERVAL: "0" };
  const ids = Array.from({ length: PIPELINES }, (_, i) => `crash-${i}`);
  await Promise.all(ids.map((id) => s.t.store.putConfig(id, "1", CONFIG)));

  const first = s.startBridge(extra);
  await waitFor(() => first.lines.some((l) => l.includes('"consuming"')), "bridge consuming", 20_000);

  // The burst: round by round, every pipeline gets its next change (interleaved keys).
  const kv = s.t.store.pipelines;
  let written = 0;
  const burst = (async () => {
    for (let round = 0; round < CHANGES_EACH; round++) {
      await Promise.all(
        ids.map(async (id, i) => {
          const state = changes(i)[round];
          if (state === "deleted") await kv.delete(id);
          else await kv.put(id, JSON.stringify({ id, status: state, version: "1", replicas: 1 }));
          written++;
        }),
      );
    }
  })();
  // Kill while changes are still being handled (some handled, the burst not yet all converged).
  await waitFor(
    () => first.lines.filter((l) => l.includes('"change handled"')).length >= 10,
    "some handled",
    30_000,
  );
  await first.stop("SIGKILL");
  const handledBeforeKill = first.lines.filter((l) => l.includes('"change handled"')).length;
  await burst;
  expect(written).toBe(PIPELINES * CHANGES_EACH);

  const second = s.startBridge(extra);
  const expectations = ids.map((id, i) => ({ id, final: changes(i).at(-1)! }));
  await waitFor(
    async () => {
      for (const { id, final } of expectations) {
        const st = await s.t.store.getStatus(id);
        const entry = await s.t.store.getDefinitionEntry(id);
        if (final === "deleted") {
          if (st !== null) return false;
          continue;
        }
        const want = { published: "running", paused: "stopped", draft: "absent" }[final];
        if (st?.phase !== want || st.revision !== entry?.revision) return false;
      }
      return true;
    },
    "every pipeline in the state of its last definition",
    90_000,
  );

  // Executions agree with the definitions: no orphan, nothing left of drafts and deletes.
  const executions = await listExecutions(s.env);
  for (const { id, final } of expectations) {
    const mine = executions.filter((e) => e.pipeline === id);
    if (final === "published")
      expect(
        mine.map((e) => e.state),
        id,
      ).toEqual(["running"]);
    else if (final === "paused")
      expect(
        mine.every((e) => e.state === "stopped"),
        id,
      ).toBe(true);
    else expect(mine, id).toEqual([]);
  }
  expect(executions.filter((e) => !ids.includes(e.pipeline))).toEqual([]);

  // Nothing missed: every change was eventually acked (redelivered to the new bridge if needed).
  await waitFor(
    async () => {
      const info = await s.t.store.jsm.consumers.info(`KV_${s.t.names.pipelines}`, durable);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    },
    "all changes acked",
    30_000,
  );
  expect(handledBeforeKill).toBeLessThan(PIPELINES * CHANGES_EACH);
  await second.stop("SIGTERM");
}, 180_000);
