// A job's last runs (CONTRACT.md §8: `runs` in its status, newest first): how each was triggered,
// when it started and ended, how it ended, and why it failed.
import { StateBadge } from "./badges";
import { ago, when } from "./format";
import type { RunRecord } from "./types";

export function RunsPanel({ runs }: { runs: RunRecord[] }) {
  return (
    <section class="panel wide" aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      {runs.length === 0 ? (
        <p class="dim" data-empty="runs">
          No run yet. A run starts on a message on the job's trigger subject, on its schedule, or with{" "}
          <code>reef trigger</code>.
        </p>
      ) : (
        <div class="table-wrap">
          <table aria-label="runs">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Trigger</th>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
                <th scope="col">State</th>
                <th scope="col" class="num">
                  Exit
                </th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.run} data-run={r.run}>
                  <td>
                    <code class="small">{r.run}</code>
                  </td>
                  <td>
                    {r.trigger}
                    {r.attempt !== undefined && r.attempt > 1 && (
                      <span class="dim"> (attempt {r.attempt})</span>
                    )}
                  </td>
                  <td title={when(r.startedAt)}>{ago(r.startedAt)}</td>
                  <td title={when(r.endedAt)}>{r.endedAt ? ago(r.endedAt) : <span class="none">—</span>}</td>
                  <td>
                    <StateBadge state={r.state} />
                  </td>
                  <td class="num">{r.exitCode ?? "—"}</td>
                  <td>
                    {r.error ? (
                      <span class="bad-text">
                        <code>{r.error.code}</code> {r.error.message}
                      </span>
                    ) : (
                      <span class="none">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
