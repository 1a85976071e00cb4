// Live data: every view polls the API (works the same locally and behind API Gateway in AWS).
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  /** When the last successful answer arrived (ms). */
  updatedAt: number | undefined;
  /** Load now (and restart the interval). */
  refresh: () => void;
}

/**
 * Calls `load` now and then every `intervalMs` after the previous call finished (never two at
 * once), while `key` stays the same. A failed call keeps the last data and reports the error.
 * A hidden tab polls at a tenth of the rate.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, key: string): Polled<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: Error; updatedAt?: number }>({ key });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const data = await loadRef.current();
        if (!stopped) setState({ key, data, updatedAt: Date.now() });
      } catch (err) {
        if (!stopped) setState((s) => ({ ...(s.key === key ? s : { key }), error: err as Error }));
      }
      if (!stopped) timer = setTimeout(run, document.hidden ? intervalMs * 10 : intervalMs);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, intervalMs, tick]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);
  const current = state.key === key ? state : { key };
  return { data: current.data, error: current.error, updatedAt: current.updatedAt, refresh };
}

/** Re-renders every `ms` (for "updated 3s ago"). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export type Route = { page: "list"; query: URLSearchParams } | { page: "pipeline"; id: string };

function parseRoute(hash: string): Route {
  const [path, search = ""] = hash.replace(/^#/, "").split("?");
  const m = /^\/pipelines\/([^/]+)\/?$/.exec(path);
  if (m) return { page: "pipeline", id: decodeURIComponent(m[1]) };
  return { page: "list", query: new URLSearchParams(search) };
}

/** The page from the address's fragment: #/ (the list, filters in its query) or #/pipelines/<id>. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export function pipelineHref(id: string): string {
  return `#/pipelines/${encodeURIComponent(id)}`;
}

const once = new Map<string, Promise<unknown>>();

/**
 * Loads what never changes under `key` (a version's config, graph or a diff of two versions:
 * versions are immutable, and the key carries their digests) once per page; failures are retried
 * on the next render with that key.
 */
export function useImmutable<T>(key: string | null, load: () => Promise<T>): { data?: T; error?: Error } {
  const [state, setState] = useState<{ key: string | null; data?: T; error?: Error }>({ key: null });
  useEffect(() => {
    if (key === null) return;
    let stopped = false;
    let p = once.get(key) as Promise<T> | undefined;
    if (!p) {
      p = load();
      once.set(key, p);
      p.catch(() => once.delete(key));
    }
    p.then(
      (data) => !stopped && setState({ key, data }),
      (error: Error) => !stopped && setState({ key, error }),
    );
    return () => {
      stopped = true;
    };
  }, [key]);
  return state.key === key ? state : {};
}
