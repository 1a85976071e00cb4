// The versions of a pipeline: which one is current, which one the page shows, switching (rollback
// to an older one, or forward), and a rendered diff between any two (diff2html on the API's unified
// diff, GET /pipelines/{id}/diff).
import { html as diffHtml } from "diff2html";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Api } from "./api";
import { bytes, when } from "./format";
import { useImmutable } from "./hooks";
import type { VersionInfo, VersionsView } from "./types";

export interface VersionsPanelProps {
  api: Api;
  id: string;
  versions: VersionsView;
  /** The version whose config and graph the page shows. */
  shown: string;
  onShow: (version: string) => void;
  /** Point the pipeline at this version (rollback route); undefined while an action runs. */
  onSwitch?: (version: string) => void;
}

function digestOf(versions: VersionInfo[], v: string): string {
  return versions.find((x) => x.version === v)?.digest ?? "";
}

export function VersionsPanel({ api, id, versions, shown, onShow, onSwitch }: VersionsPanelProps) {
  const list = versions.versions;
  const current = versions.current;
  const newest = list.at(-1)?.version;
  const [from, setFrom] = useState<string | null>(null);
  const [to, setTo] = useState<string | null>(null);
  // defaults: the version before the current one → the current one
  const at = list.findIndex((v) => v.version === (current ?? newest));
  const diffTo = to ?? current ?? newest ?? null;
  const diffFrom = from ?? (at > 0 ? list[at - 1].version : (list[0]?.version ?? null));

  return (
    <section class="panel wide" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <div class="table-wrap">
        <table aria-label="versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Created</th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">Digest</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {[...list].reverse().map((v) => (
              <tr
                key={v.version}
                class={v.version === shown ? "selected" : undefined}
                data-version={v.version}
              >
                <td>
                  <strong>{v.version}</strong>
                  {v.version === current && <span class="badge badge-ok tag">current</span>}
                  {v.version === shown && <span class="badge badge-info tag">shown</span>}
                </td>
                <td>{when(v.createdAt)}</td>
                <td class="num">{bytes(v.size)}</td>
                <td>
                  <code title={v.digest}>{v.digest.slice(0, 12)}</code>
                </td>
                <td class="row-actions">
                  <button
                    type="button"
                    class="link"
                    disabled={v.version === shown}
                    onClick={() => onShow(v.version)}
                  >
                    View<span class="sr-only"> version {v.version}</span>
                  </button>
                  {v.version !== current && onSwitch && (
                    <button type="button" class="link" onClick={() => onSwitch(v.version)}>
                      {current && compare(v.version, current) < 0 ? "Roll back to this" : "Switch to this"}
                      <span class="sr-only"> (version {v.version})</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.length >= 2 && diffFrom && diffTo && (
        <div class="diff-block">
          <h3>Compare</h3>
          <div class="filters">
            <label>
              From
              <select value={diffFrom} onChange={(e) => setFrom(e.currentTarget.value)}>
                {list.map((v) => (
                  <option key={v.version} value={v.version}>
                    {v.version}
                  </option>
                ))}
              </select>
            </label>
            <label>
              To
              <select value={diffTo} onChange={(e) => setTo(e.currentTarget.value)}>
                {list.map((v) => (
                  <option key={v.version} value={v.version}>
                    {v.version}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <Diff
            api={api}
            id={id}
            from={diffFrom}
            to={diffTo}
            fromDigest={digestOf(list, diffFrom)}
            toDigest={digestOf(list, diffTo)}
          />
        </div>
      )}
    </section>
  );
}

/** Numeric versions in number order, others as text (as the API sorts them). */
function compare(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a.localeCompare(b);
}

function useNarrow(width = 900): boolean {
  const query = `(max-width: ${width}px)`;
  const [narrow, setNarrow] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const m = matchMedia(query);
    const on = () => setNarrow(m.matches);
    m.addEventListener("change", on);
    return () => m.removeEventListener("change", on);
  }, [query]);
  return narrow;
}

function Diff(props: {
  api: Api;
  id: string;
  from: string;
  to: string;
  fromDigest: string;
  toDigest: string;
}) {
  const { api, id, from, to } = props;
  const narrow = useNarrow();
  const diff = useImmutable(`diff:${id}/${from}@${props.fromDigest}..${to}@${props.toDigest}`, () =>
    api.diff(id, from, to),
  );
  const rendered = useMemo(
    () =>
      diff.data && !diff.data.identical
        ? diffHtml(diff.data.patch, {
            outputFormat: narrow ? "line-by-line" : "side-by-side",
            drawFileList: false,
            matching: "lines",
          })
        : null,
    [diff.data, narrow],
  );
  if (from === to) return <p class="dim">Pick two different versions.</p>;
  if (diff.error) return <p class="error">Cannot compare: {diff.error.message}</p>;
  if (!diff.data) return <p class="dim">Loading…</p>;
  if (diff.data.identical)
    return (
      <p class="dim">
        Versions {from} and {to} have identical configs.
      </p>
    );
  // diff2html escapes the configs' text in its HTML
  return (
    <div
      class="diff"
      aria-label={`changes from ${from} to ${to}`}
      dangerouslySetInnerHTML={{ __html: rendered! }}
    />
  );
}
