// Recent changes the bridge recorded in PIPELINE_EVENTS (GET /pipelines/{id}/events), newest first,
// with the verification of the pipeline's hash chain (as `reef events verify --pipeline id`).
import type { Api } from "./api";
import { when } from "./format";
import { usePoll } from "./hooks";

export const EVENTS_INTERVAL_MS = 5000;

export function EventsPanel({ api, id, refreshKey }: { api: Api; id: string; refreshKey: string }) {
  // refreshKey: the status changed, so a new event is likely; load at once
  const polled = usePoll(() => api.events(id, 20), EVENTS_INTERVAL_MS, `${id}:${refreshKey}`);
  const h = polled.data;
  return (
    <section class="panel wide" aria-labelledby="events-title">
      <h2 id="events-title">Recent events</h2>
      {polled.error && !h && <p class="error">Cannot read the events: {polled.error.message}</p>}
      {h && (
        <>
          <p
            class={`chain ${h.verification.ok ? "ok-text" : "bad-text"}`}
            data-chain={h.verification.ok ? "ok" : "broken"}
          >
            {h.verification.ok ? (
              <>
                ✓ Hash chain verified: {h.verification.records} record
                {h.verification.records === 1 ? "" : "s"}
                {h.verification.startsAfterRetention && ", starting after records removed by retention"}
              </>
            ) : (
              <>
                ✗ Hash chain broken at seq {h.verification.problems[0]?.seq}:{" "}
                {h.verification.problems[0]?.message}
              </>
            )}
          </p>
          {h.events.length === 0 ? (
            <p class="dim">No change of this pipeline has been recorded yet.</p>
          ) : (
            <div class="table-wrap">
              <table aria-label="recent events">
                <thead>
                  <tr>
                    <th scope="col" class="num">
                      Seq
                    </th>
                    <th scope="col">Time</th>
                    <th scope="col">Operation</th>
                    <th scope="col" class="num">
                      Revision
                    </th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Phase</th>
                    <th scope="col">Actions / error</th>
                    <th scope="col" class="num">
                      Took
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {h.events.map((e) => (
                    <tr key={e.seq}>
                      <td class="num">{e.seq}</td>
                      <td>{when(e.time)}</td>
                      <td>{e.operation ?? "—"}</td>
                      <td class="num">{e.revision ?? "—"}</td>
                      <td class={e.outcome === "ok" ? "" : "bad-text"}>{e.outcome}</td>
                      <td>{e.phase ?? "—"}</td>
                      <td class="wrap">
                        {e.error ? (
                          <span class="bad-text">
                            <code>{e.error.code}</code> {e.error.message}
                          </span>
                        ) : e.actions.length ? (
                          e.actions.join("; ")
                        ) : (
                          <span class="dim">nothing to do</span>
                        )}
                      </td>
                      <td class="num">{e.durationMs === null ? "—" : `${e.durationMs} ms`}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {h.total > h.events.length && (
                <p class="dim small">
                  The {h.events.length} most recent of {h.total}. All of them:{" "}
                  <code>npx reef events --pipeline {id}</code>
                </p>
              )}
            </div>
          )}
        </>
      )}
    </section>
  );
}
