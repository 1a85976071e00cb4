// The console's HTTP client: every call goes to the API (settings.apiBase) with the credentials of
// the session, and every failure becomes an ApiError with the API's code. Credentials travel in
// headers only, never in a URL.
import type {
  DiffView,
  Features,
  GraphView,
  HealthView,
  HistoryView,
  LogsView,
  PipelineView,
  VersionsView,
  WriteResult,
} from "./types";

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    /** HTTP status; 0 when the API could not be reached. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
  }
}

export type Action = "publish" | "pause" | "draft" | "rollback";

export interface ApiOptions {
  base: string;
  /** Headers that authenticate a request (x-api-key or Authorization). */
  credentials: () => Promise<Record<string, string>>;
  /** Called on 401: the credentials are missing, expired or wrong. */
  onUnauthorized: (err: ApiError) => void;
}

const enc = encodeURIComponent;

export class Api {
  constructor(private readonly opts: ApiOptions) {}

  async list(): Promise<PipelineView[]> {
    return (await this.json<{ pipelines: PipelineView[] }>("GET", "/pipelines")).pipelines;
  }

  get(id: string): Promise<PipelineView> {
    return this.json("GET", `/pipelines/${enc(id)}`);
  }

  versions(id: string): Promise<VersionsView> {
    return this.json("GET", `/pipelines/${enc(id)}/versions`);
  }

  async config(id: string, version: string): Promise<string> {
    const res = await this.call("GET", `/pipelines/${enc(id)}/versions/${enc(version)}`);
    return res.text();
  }

  diff(id: string, from: string, to: string): Promise<DiffView> {
    return this.json("GET", `/pipelines/${enc(id)}/diff?from=${enc(from)}&to=${enc(to)}`);
  }

  graph(id: string, version: string): Promise<GraphView> {
    return this.json("GET", `/pipelines/${enc(id)}/graph?version=${enc(version)}`);
  }

  events(id: string, limit = 20): Promise<HistoryView> {
    return this.json("GET", `/pipelines/${enc(id)}/events?limit=${limit}`);
  }

  /** Which optional routes this API serves (its OpenAPI document lists them). */
  async features(): Promise<Features> {
    const doc = await this.json<{ paths?: Record<string, unknown> }>("GET", "/openapi.json");
    const paths = doc.paths ?? {};
    return { health: "/pipelines/{id}/health" in paths, logs: "/pipelines/{id}/logs" in paths };
  }

  /** Live health and each replica's current heartbeat (telemetry). */
  health(id: string): Promise<HealthView> {
    return this.json("GET", `/pipelines/${enc(id)}/health`);
  }

  /** Log lines: the last ones, or (after: a lastSeq from before) only newer ones. */
  logs(id: string, q: { replica?: number; after?: number } = {}): Promise<LogsView> {
    const query = new URLSearchParams({ limit: "200" });
    if (q.replica !== undefined) query.set("replica", String(q.replica));
    if (q.after !== undefined) query.set("after", String(q.after));
    return this.json("GET", `/pipelines/${enc(id)}/logs?${query}`);
  }

  /** publish / pause / draft / rollback, only if the definition is still at `revision` (else 412). */
  act(
    id: string,
    action: Action,
    revision: number,
    body: Record<string, unknown> = {},
  ): Promise<WriteResult> {
    return this.json("POST", `/pipelines/${enc(id)}/${action}`, { body, ifMatch: revision });
  }

  private async json<T>(
    method: string,
    path: string,
    opts: { body?: unknown; ifMatch?: number } = {},
  ): Promise<T> {
    const res = await this.call(method, path, opts);
    return (await res.json()) as T;
  }

  private async call(
    method: string,
    path: string,
    opts: { body?: unknown; ifMatch?: number } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...(await this.opts.credentials()) };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    if (opts.ifMatch !== undefined) headers["if-match"] = `"${opts.ifMatch}"`;
    let res: Response;
    try {
      res = await fetch(this.opts.base + path, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch {
      throw new ApiError(0, "NETWORK", "the API cannot be reached");
    }
    if (res.ok) return res;
    const err = await toApiError(res);
    if (res.status === 401) this.opts.onUnauthorized(err);
    throw err;
  }
}

async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  try {
    const { error } = JSON.parse(text) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> | null };
    };
    if (error?.code)
      return new ApiError(res.status, error.code, error.message ?? error.code, error.details ?? null);
  } catch {
    // not the API's JSON (a gateway's own answer)
  }
  const message = res.status === 401 || res.status === 403 ? "not authorized" : `HTTP ${res.status}`;
  return new ApiError(res.status, res.status === 401 ? "UNAUTHORIZED" : `HTTP_${res.status}`, message);
}
