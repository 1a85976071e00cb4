// Each replica: the execution the executor reports (status) next to its heartbeat (telemetry, when
// the API serves GET /pipelines/{id}/health). The execution's id is the replica number's tooltip.
import { StateBadge } from "./badges";
import { ago, rate } from "./format";
import type { Heartbeat, Observed } from "./types";

export function ReplicasPanel({
  observed,
  heartbeats,
}: {
  observed: Observed | null;
  heartbeats: Heartbeat[] | null | undefined;
}) {
  const executions = observed?.executions ?? [];
  const byReplica = new Map<number, Heartbeat>();
  for (const hb of heartbeats ?? []) byReplica.set(hb.replica, hb);
  const replicas = new Set<number>([...executions.map((e, i) => e.replica ?? i), ...byReplica.keys()]);
  const rows = [...replicas].sort((a, b) => a - b);
  const telemetry = heartbeats !== null && heartbeats !== undefined;
  return (
    <section class="panel" aria-labelledby="replicas-title">
      <h2 id="replicas-title">Replicas</h2>
      {rows.length === 0 ? (
        <p class="dim">No execution.</p>
      ) : (
        <div class="table-wrap">
          <table aria-label="replicas">
            <thead>
              <tr>
                <th scope="col" class="num">
                  #
                </th>
                <th scope="col">State</th>
                <th scope="col">Version</th>
                {telemetry && (
                  <>
                    <th scope="col">Heartbeat</th>
                    <th scope="col" class="num">
                      In/s
                    </th>
                    <th scope="col" class="num">
                      Out/s
                    </th>
                    <th scope="col" class="num">
                      Err/s
                    </th>
                    <th scope="col" class="num">
                      p99
                    </th>
                  </>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const e = executions.find((x, i) => (x.replica ?? i) === r);
                const hb = byReplica.get(r);
                return (
                  <tr key={r}>
                    <td class="num" title={e?.id ?? hb?.execution}>
                      {r}
                    </td>
                    <td>
                      <StateBadge state={e?.state} />
                      {e?.error && (
                        <div class="bad-text small">
                          <code>{e.error.code}</code> {e.error.message}
                        </div>
                      )}
                    </td>
                    <td>{e?.version ?? hb?.version ?? "—"}</td>
                    {telemetry && (
                      <>
                        <td>
                          {hb ? (
                            <>
                              <StateBadge state={hb.state} />{" "}
                              <span class="dim small">{ago(hb.updatedAt)}</span>
                              {hb.lastError && (
                                <div class="bad-text small" title={hb.lastError.at}>
                                  {hb.lastError.component ? `${hb.lastError.component}: ` : ""}
                                  {hb.lastError.message}
                                </div>
                              )}
                            </>
                          ) : (
                            <span class="bad-text small">no heartbeat</span>
                          )}
                        </td>
                        <td class="num">{rate(hb?.rates?.received)}</td>
                        <td class="num">{rate(hb?.rates?.sent)}</td>
                        <td class="num">{rate(hb?.rates?.errors)}</td>
                        <td class="num">
                          {hb?.latencyMs?.p99 === undefined ? "—" : `${rate(hb.latencyMs.p99)} ms`}
                        </td>
                      </>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {!telemetry && executions.length > 0 && (
        <p class="dim small">
          Per-replica health and rates appear here once the executions report telemetry.
        </p>
      )}
    </section>
  );
}
