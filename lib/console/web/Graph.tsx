// The pipeline's graph: `reef graph`'s Mermaid flowchart (GET /pipelines/{id}/graph), drawn as SVG
// by mermaid, which is loaded only when a graph is shown.
import type { Mermaid } from "mermaid";
import { useEffect, useState } from "preact/hooks";
import type { Api } from "./api";
import { useImmutable } from "./hooks";

let mermaidLib: Promise<Mermaid> | undefined;
let renders = 0;

function loadMermaid(): Promise<Mermaid> {
  mermaidLib ??= import("mermaid").then(({ default: m }) => {
    m.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      theme: "neutral",
      flowchart: { useMaxWidth: true, htmlLabels: true },
    });
    return m;
  });
  return mermaidLib;
}

export function GraphPanel({
  api,
  id,
  version,
  digest,
}: {
  api: Api;
  id: string;
  version: string;
  digest: string;
}) {
  const graph = useImmutable(`graph:${id}/${version}@${digest}`, () => api.graph(id, version));
  const [svg, setSvg] = useState<string | null>(null);
  const [drawError, setDrawError] = useState<string | null>(null);

  useEffect(() => {
    const text = graph.data?.mermaid;
    if (!text) return;
    let stopped = false;
    setDrawError(null);
    setSvg(null);
    loadMermaid()
      .then((m) => m.render(`reef-graph-${++renders}`, text))
      .then((out) => !stopped && setSvg(out.svg))
      .catch((err: Error) => !stopped && setDrawError(err.message));
    return () => {
      stopped = true;
    };
  }, [graph.data?.mermaid]);

  return (
    <section class="panel wide" aria-labelledby="graph-title">
      <h2 id="graph-title">
        Graph <span class="dim small">version {version}</span>
      </h2>
      {graph.error && <p class="error">Cannot draw this version: {graph.error.message}</p>}
      {drawError && <p class="error">mermaid could not draw the graph: {drawError}</p>}
      {!graph.data && !graph.error && <p class="dim">Loading…</p>}
      {svg && (
        <div
          class="graph"
          role="img"
          aria-label={`flowchart of version ${version}: input, processors, outputs`}
          // mermaid's own output, sanitized by mermaid (securityLevel strict)
          dangerouslySetInnerHTML={{ __html: svg }}
        />
      )}
      {graph.data && (
        <details>
          <summary>Mermaid source</summary>
          <pre class="code">{graph.data.mermaid}</pre>
        </details>
      )}
    </section>
  );
}
