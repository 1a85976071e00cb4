// A log tail from PIPELINE_LOGS (GET /pipelines/{id}/logs): the last lines, then every new one
// (polled with `after`, so each poll reads only what is new), optionally one replica's only.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Api } from "./api";
import type { LogLine } from "./types";

export const LOGS_INTERVAL_MS = 3000;
/** Lines the page keeps (older ones drop off the top). */
const KEEP = 1000;

export function LogsPanel({ api, id, replicas }: { api: Api; id: string; replicas: number[] }) {
  const [replica, setReplica] = useState<string>("");
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const box = useRef<HTMLPreElement>(null);
  const atBottom = useRef(true);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let after: number | undefined;
    setLines([]);
    setLoaded(false);
    const poll = async () => {
      try {
        const r = await api.logs(id, { replica: replica === "" ? undefined : Number(replica), after });
        if (stopped) return;
        after = r.lastSeq ?? after;
        if (r.lines.length) setLines((old) => [...old, ...r.lines].slice(-KEEP));
        setError(null);
        setLoaded(true);
      } catch (err) {
        if (!stopped) setError((err as Error).message);
      }
      if (!stopped) timer = setTimeout(poll, document.hidden ? LOGS_INTERVAL_MS * 10 : LOGS_INTERVAL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, id, replica]);

  // follow the tail while the reader is at the bottom
  useEffect(() => {
    const el = box.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <section class="panel wide" aria-labelledby="logs-title">
      <div class="panel-head">
        <h2 id="logs-title">Logs</h2>
        <span class="inline">
          <label for="logs-replica">Lines of replica</label>{" "}
          <select id="logs-replica" value={replica} onChange={(e) => setReplica(e.currentTarget.value)}>
            <option value="">all</option>
            {replicas.map((r) => (
              <option key={r} value={String(r)}>
                {r}
              </option>
            ))}
          </select>
        </span>
      </div>
      {error && (
        <p class="error" role="alert">
          Cannot read the logs: {error}
        </p>
      )}
      {loaded && lines.length === 0 ? (
        <p class="dim" data-empty="logs">
          No log line stored{replica === "" ? "" : ` for replica ${replica}`}. New lines appear here as the
          executions write them.
        </p>
      ) : (
        <pre
          class="code logs"
          ref={box}
          tabIndex={0}
          aria-label="log lines, newest last"
          aria-live="off"
          onScroll={(e) => {
            const el = e.currentTarget;
            atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
        >
          {lines.map((l) => (
            <div key={l.seq} class={`log log-${l.level}`}>
              <span class="dim">{l.time.slice(11, 23)}</span> <span class="dim">[{l.replica}]</span>{" "}
              <span class="level">{l.level}</span> {l.message}
            </div>
          ))}
        </pre>
      )}
    </section>
  );
}
