// Health as the control plane observes it now: the stored heartbeats of a pipeline folded with the
// executions its executor reports (I/O here; the folding itself is pure, in health.ts).
import type { Health } from "../model";
import type { HeartbeatEntry, Store } from "../store";
import { foldHealth, mayBeStalled, type ObservedExecution, type ReplicaReport } from "./health";

export async function observeHealth(
  store: Store,
  id: string,
  executions: ObservedExecution[],
  intervalMs: number,
  now = Date.now(),
): Promise<{ health: Health; heartbeats: HeartbeatEntry[] }> {
  const heartbeats = await store.listHeartbeats(id);
  const reports = await Promise.all(heartbeats.map((e) => reportOf(store, e)));
  return { health: foldHealth({ executions, reports, intervalMs, now }), heartbeats };
}

/** A report, with its key's history only when its last interval looks stalled. */
async function reportOf(store: Store, e: HeartbeatEntry): Promise<ReplicaReport> {
  const report: ReplicaReport = { heartbeat: e.heartbeat, receivedAt: e.receivedAt };
  if (mayBeStalled(e.heartbeat)) {
    report.history = (await store.heartbeatHistory(e.heartbeat.id, e.heartbeat.replica).catch(() => [])).map(
      (h) => ({ heartbeat: h.heartbeat, receivedAt: h.receivedAt }),
    );
  }
  return report;
}

/** The health of a pipeline with nothing running. */
export function unknownHealth(now = Date.now()): Health {
  return foldHealth({ executions: [], reports: [], intervalMs: 1, now });
}
