// The pipeline lifecycle shared by the CLI and the HTTP API: every definition change is a
// compare-and-set on the `pipelines` KV revision, every config a new immutable version.
import { createTwoFilesPatch } from "diff";
import {
  definedOnly,
  definitionSchema,
  type Autoscale,
  InvalidIdError,
  isValidId,
  parseConfigYaml,
  parseDefinition,
  sleep,
  toStatusError,
  type DesiredStatus,
  type Health,
  type Heartbeat,
  type JobFields,
  type PipelineDefinition,
  type PipelineStatus,
  type StatusError,
} from "../model";
import {
  eventRow,
  heartbeatIntervalFromEnv,
  readEvents,
  RevisionConflictError,
  verifyChains,
  type ChainProblem,
  type DefinitionEntry,
  type EventRow,
  type Store,
  type StoredLogLine,
} from "../store";
import { foldHealth, observeHealth, prometheusExposition } from "../telemetry";
import {
  ConflictError,
  LintFailedError,
  PipelineExistsError,
  PipelineNotFoundError,
  RevisionMismatchError,
  StatusNotFoundError,
  ValidationError,
  VersionNotFoundError,
} from "./errors";
import { configToMermaid } from "./graph";
import { autoscaleIssue, createLinter, type LintResult, type Linter } from "./lint";
import { compareVersions, listVersions, resolveVersion, type VersionInfo } from "./versions";

/** What a caller wants a pipeline to look like. Omitted fields keep their current value. */
export interface PipelineInput {
  id: string;
  name?: string;
  description?: string | null;
  status?: DesiredStatus;
  replicas?: number;
  labels?: Record<string, string>;
  /** Replicas that follow the lag (CONTRACT.md §6); null removes it. */
  autoscale?: Autoscale | null;
  /** mode, trigger, concurrency, timeout, retries (CONTRACT.md §8); omitted fields keep their value. */
  job?: JobFields;
  /** A Benthos config (YAML): becomes a new version, or reuses the version with identical content. */
  config?: string | Uint8Array;
  /** An existing version to point at (instead of `config`). */
  version?: string;
}

export interface WriteOptions {
  /** Compute and report the change, write nothing. */
  dryRun?: boolean;
  /** Publish even when lint finds errors. */
  force?: boolean;
  /** Only write if the definition is still at this KV revision (CLI --revision, API If-Match). */
  ifRevision?: number;
  /** Fail with ALREADY_EXISTS when the pipeline exists (API POST, If-None-Match: *). */
  mustNotExist?: boolean;
  /** Fail with NOT_FOUND when the pipeline does not exist (publish, pause, draft, rollback). */
  mustExist?: boolean;
}

export interface WriteResult {
  id: string;
  action: "created" | "updated" | "unchanged" | "deleted";
  /** KV revision after the write (the current one when unchanged; null in a dry run that would write). */
  revision: number | null;
  version: string | null;
  /** A new config version was (or in a dry run would be) stored. */
  versionCreated: boolean;
  status: DesiredStatus | null;
  previous: { revision: number; status: string | null; version: string | null } | null;
  /** What changed, for people: "new version 2", "status draft → published", … */
  changes: string[];
  definition: PipelineDefinition | null;
  /** Lint findings when the change published a version (warnings, or errors when forced). */
  lint?: LintResult;
  dryRun: boolean;
}

export interface PipelineView {
  id: string;
  revision: number;
  /** When the current definition revision was written. */
  updatedAt: string;
  definition: PipelineDefinition | null;
  /** Why the stored value is not a valid definition (written by another client), else null. */
  definitionError: StatusError | null;
  observed: PipelineStatus | null;
}

export interface VersionsView {
  id: string;
  current: string | null;
  versions: VersionInfo[];
}

export interface DiffView {
  id: string;
  from: string;
  to: string;
  patch: string;
  identical: boolean;
}

export interface GraphView {
  id: string;
  version: string;
  /** The config as a Mermaid flowchart (`reef graph`). */
  mermaid: string;
}

/** The hash chain of one pipeline's recorded events (`reef events verify --pipeline id`). */
export interface ChainVerification {
  ok: boolean;
  records: number;
  /** The chain's first record was preceded by records that retention removed. */
  startsAfterRetention: boolean;
  problems: ChainProblem[];
}

export interface HistoryView {
  id: string;
  /** The most recent recorded events, newest first. */
  events: EventRow[];
  /** Every recorded event of the pipeline (the verified chain's length). */
  total: number;
  verification: ChainVerification;
}

export interface LogLineView {
  seq: number;
  time: string;
  level: string;
  message: string;
  replica: number;
}

export interface LogsView {
  id: string;
  /** Oldest first. */
  lines: LogLineView[];
  /** Pass it back as `after` to get only newer lines. */
  lastSeq: number | null;
}

const MAX_ATTEMPTS = 8;

export interface PipelinesOptions {
  linter?: Linter;
  env?: NodeJS.ProcessEnv;
}

/** One line of `reef top`. */
export interface TopRow {
  id: string;
  phase: string | null;
  health: Health;
  replicas: { running: number; reporting: number };
  /** The largest output p99 latency among the replicas. */
  p99Ms: number;
}

/** A pipeline's live health and the current heartbeat of each replica. */
export interface HealthView {
  id: string;
  phase: string | null;
  health: Health;
  replicas: Heartbeat[];
}

export class Pipelines {
  private readonly linter: Linter;

  constructor(
    readonly store: Store,
    opts: PipelinesOptions = {},
  ) {
    this.linter = opts.linter ?? createLinter(opts.env);
    this.heartbeatIntervalMs = heartbeatIntervalFromEnv(opts.env ?? process.env);
  }

  private readonly heartbeatIntervalMs: number;

  // ---- reads ----------------------------------------------------------------------------------

  async list(): Promise<PipelineView[]> {
    const [entries, statuses] = await Promise.all([this.store.listDefinitions(), this.store.listStatuses()]);
    const observed = new Map(statuses.map((s) => [s.id, s]));
    return entries.map((entry) => toView(entry, observed.get(entry.key) ?? null));
  }

  async get(id: string): Promise<PipelineView> {
    checkId(id);
    const entry = await this.store.getDefinitionEntry(id);
    if (entry?.operation !== "PUT") throw new PipelineNotFoundError(id);
    const observed = await this.store.getStatus(id).catch(() => null);
    return toView(entry, observed);
  }

  async status(id: string): Promise<PipelineStatus> {
    checkId(id);
    const observed = await this.store.getStatus(id);
    if (observed) return observed;
    const entry = await this.store.getDefinitionEntry(id);
    if (entry?.operation !== "PUT") throw new PipelineNotFoundError(id);
    throw new StatusNotFoundError(id);
  }

  /** The status entry as it changes (null when deleted), starting with the current one, until `signal` aborts. */
  async *watchStatus(id: string, signal?: AbortSignal): AsyncIterable<PipelineStatus | null> {
    checkId(id);
    yield* this.store.watchStatus(id, signal);
  }

  /**
   * Health now: the pipeline's current heartbeats (one per replica) folded with the executions its
   * status lists. Live, unlike the health in the status (written at each health change).
   */
  async health(id: string): Promise<HealthView> {
    checkId(id);
    const status = await this.store.getStatus(id);
    if (!status) {
      const entry = await this.store.getDefinitionEntry(id);
      if (entry?.operation !== "PUT") throw new PipelineNotFoundError(id);
    }
    const executions = (status?.executions ?? []).map((e) => ({
      replica: typeof e.replica === "number" ? e.replica : -1,
      state: e.state,
      startedAt: typeof e.startedAt === "string" ? e.startedAt : undefined,
    }));
    const { health, heartbeats } = await observeHealth(this.store, id, executions, this.heartbeatIntervalMs);
    return { id, phase: status?.phase ?? null, health, replicas: heartbeats.map((h) => h.heartbeat) };
  }

  /** Every pipeline with its live health: `reef top` (one read of the heartbeats for all). */
  async top(): Promise<TopRow[]> {
    return (await this.listLive()).map(({ view, health, heartbeats }) => ({
      id: view.id,
      phase: view.observed?.phase ?? null,
      health,
      replicas: {
        running: (view.observed?.executions ?? []).filter((e) => e.state === "running").length,
        reporting: heartbeats.length,
      },
      p99Ms: Math.max(0, ...heartbeats.map((h) => h.latencyMs.p99)),
    }));
  }

  /** Every pipeline with its live health, folded now from the current heartbeats (one read of them for all). */
  async listLive(): Promise<{ view: PipelineView; health: Health; heartbeats: Heartbeat[] }[]> {
    const [views, heartbeats] = await Promise.all([this.list(), this.store.listHeartbeats()]);
    const now = Date.now();
    return views.map((view) => {
      const mine = heartbeats.filter((h) => h.heartbeat.id === view.id);
      const executions = (view.observed?.executions ?? []).map((e) => ({
        replica: typeof e.replica === "number" ? e.replica : -1,
        state: e.state,
        startedAt: typeof e.startedAt === "string" ? e.startedAt : undefined,
      }));
      const health = foldHealth({
        executions,
        reports: mine.map((h) => ({ heartbeat: h.heartbeat, receivedAt: h.receivedAt })),
        intervalMs: this.heartbeatIntervalMs,
        now,
      });
      return { view, health, heartbeats: mine.map((h) => h.heartbeat) };
    });
  }

  /** Prometheus text of every execution's counters (GET /metrics). */
  async metrics(): Promise<{ contentType: string; text: string }> {
    const [heartbeats, statuses] = await Promise.all([
      this.store.listHeartbeats(),
      this.store.listStatuses(),
    ]);
    const health = new Map(statuses.map((s) => [s.id, s.health?.state ?? ("unknown" as const)]));
    return prometheusExposition(heartbeats, health);
  }

  async versions(id: string): Promise<VersionsView> {
    checkId(id);
    const [entry, versions] = await Promise.all([
      this.store.getDefinitionEntry(id),
      listVersions(this.store, id),
    ]);
    if (entry?.operation !== "PUT" && !versions.length) throw new PipelineNotFoundError(id);
    return { id, current: entry?.operation === "PUT" ? (currentVersion(entry) ?? null) : null, versions };
  }

  /** The config text of one version. */
  async config(id: string, version: string): Promise<string> {
    checkId(id);
    const stored = await this.store.getConfig(id, version);
    if (!stored) throw new VersionNotFoundError(id, version);
    return new TextDecoder().decode(stored.bytes);
  }

  /** Unified diff of two versions' configs; `to` defaults to the current version. */
  async diff(id: string, from: string, to?: string): Promise<DiffView> {
    checkId(id);
    if (to === undefined) {
      const entry = await this.store.getDefinitionEntry(id);
      if (entry?.operation !== "PUT") throw new PipelineNotFoundError(id);
      to = currentVersion(entry);
      if (!to)
        throw new ValidationError(`pipeline ${id} has no current version to compare with; give two versions`);
    }
    const [a, b] = await Promise.all([this.config(id, from), this.config(id, to)]);
    const patch = createTwoFilesPatch(`${id}/${from}`, `${id}/${to}`, a, b, undefined, undefined, {
      context: 3,
    });
    return { id, from, to, patch, identical: a === b };
  }

  /** A version's config (default: the current one) as a Mermaid flowchart. */
  async graph(id: string, version?: string): Promise<GraphView> {
    checkId(id);
    if (version === undefined) {
      const current = (await this.versions(id)).current;
      if (!current) throw new ValidationError(`pipeline ${id} has no current version; give a version`);
      version = current;
    }
    // A job is drawn with its triggers (from the current definition).
    const entry = await this.store.getDefinitionEntry(id);
    const definition = entry?.operation === "PUT" ? toView(entry, null).definition : null;
    const job = definition?.mode === "job" ? (definition.trigger ?? {}) : undefined;
    return { id, version, mermaid: configToMermaid(await this.config(id, version), { job }) };
  }

  /** The pipeline's most recent recorded events (newest first) and the verification of its hash chain. */
  async history(id: string, opts: { limit?: number } = {}): Promise<HistoryView> {
    checkId(id);
    const [events, report] = await Promise.all([
      readEvents(this.store, { pipeline: id }),
      verifyChains(this.store, { pipeline: id }),
    ]);
    const chain = report.chains.find((c) => c.pipeline === id);
    return {
      id,
      events: events
        .slice(-(opts.limit ?? 20))
        .reverse()
        .map(eventRow),
      total: events.length,
      verification: {
        ok: report.ok,
        records: chain?.records ?? 0,
        startsAfterRetention: chain?.startsAfterRetention ?? false,
        problems: report.problems,
      },
    };
  }

  /**
   * A pipeline's log lines from the logs stream: with `after` (a `lastSeq` from before), the lines
   * stored since, oldest first, at most `limit`; without, the last `limit` lines.
   */
  async logs(id: string, opts: { replica?: number; after?: number; limit?: number } = {}): Promise<LogsView> {
    checkId(id);
    const limit = opts.limit ?? 200;
    const query = { pipeline: id, replica: opts.replica };
    // taken before reading: a line stored meanwhile has a later sequence, so the next read has it
    const before = await this.store.lastLogSeq();
    let lines: StoredLogLine[];
    if (opts.after === undefined) {
      lines = await this.store.tailLogs(query, limit);
    } else {
      lines = [];
      for await (const l of this.store.readLogs({ ...query, fromSeq: opts.after + 1 })) {
        if (lines.push(l) >= limit) break;
      }
    }
    const last = lines.at(-1)?.seq ?? opts.after ?? 0;
    return {
      id,
      lines: lines.map(({ seq, time, level, message, replica }) => ({ seq, time, level, message, replica })),
      // a full page may stop short of `before`: go on from its last line
      lastSeq: (lines.length >= limit ? last : Math.max(last, before)) || null,
    };
  }

  // ---- writes ---------------------------------------------------------------------------------

  /** Creates or updates a pipeline (declarative: omitted fields keep their value; a new one starts as draft). */
  async apply(input: PipelineInput, opts: WriteOptions = {}): Promise<WriteResult> {
    checkId(input.id);
    const id = input.id;
    if (input.config !== undefined && input.version !== undefined) {
      throw new ValidationError(
        "give either config (a new or identical version) or version (an existing one), not both",
      );
    }
    let version: string | undefined;
    let versionCreated = false;
    const known = new Map<string, string>();
    if (input.config !== undefined) {
      const bytes = typeof input.config === "string" ? new TextEncoder().encode(input.config) : input.config;
      parseConfigYaml(`config of ${id}`, bytes);
      // The object is written before the definition points at it; identical content is reused,
      // so a retried or refused apply leaves at most one unreferenced version behind.
      if (opts.mustNotExist || opts.mustExist || opts.ifRevision !== undefined) await this.precheck(id, opts);
      const choice = await resolveVersion(this.store, id, bytes, { dryRun: opts.dryRun });
      version = choice.version;
      versionCreated = choice.created;
      // lint what was given (in a dry run the new version is not stored)
      known.set(version, new TextDecoder().decode(bytes));
    } else if (input.version !== undefined) {
      if (!(await this.store.getConfig(id, input.version))) throw new VersionNotFoundError(id, input.version);
      version = input.version;
    }
    return this.update(
      id,
      opts,
      async (base) => {
        const next: Record<string, unknown> = { ...(base ?? {}), id };
        assign(next, "name", input.name);
        assign(next, "description", input.description);
        assign(next, "status", input.status ?? (base?.status === undefined ? "draft" : undefined));
        assign(next, "version", version);
        assign(next, "replicas", input.replicas ?? (base?.replicas === undefined ? 1 : undefined));
        assign(next, "labels", input.labels);
        assign(next, "autoscale", input.autoscale);
        for (const [key, value] of Object.entries(input.job ?? {})) assign(next, key, value);
        if (next.status !== "draft" && next.version === undefined) {
          const latest = (await listVersions(this.store, id)).at(-1)?.version;
          if (!latest)
            throw new ValidationError(
              `pipeline ${id} has no config yet: give a config before ${next.status}`,
            );
          next.version = latest;
        }
        return { next, versionCreated: versionCreated && version === next.version };
      },
      known,
    );
  }

  /** publish | pause | draft, optionally switching to another existing version. */
  async setStatus(
    id: string,
    status: DesiredStatus,
    opts: WriteOptions & { version?: string } = {},
  ): Promise<WriteResult> {
    return this.apply({ id, status, version: opts.version }, { ...opts, mustExist: true });
  }

  /**
   * Edits the `autoscale` block (`reef scale`): the given fields change, the others keep their
   * value; a pipeline without a block needs all of min, max and targetPending (cooldown: 60s).
   * Compare-and-set like every write; the status's replica count then follows on the next converge.
   */
  async scale(id: string, change: Partial<Autoscale>, opts: WriteOptions = {}): Promise<WriteResult> {
    checkId(id);
    return this.update(id, { ...opts, mustExist: true }, async (base) => {
      const current = (base?.autoscale ?? {}) as Partial<Autoscale>;
      const merged = { cooldown: "60s", ...current, ...definedOnly(change) };
      const missing = (["min", "max", "targetPending"] as const).filter((k) => merged[k] === undefined);
      if (missing.length) {
        throw new ValidationError(
          `pipeline ${id} has no autoscale yet: give ${missing.map((k) => (k === "targetPending" ? "--target" : `--${k}`)).join(", ")}`,
        );
      }
      return { next: { ...(base ?? {}), id, autoscale: merged }, versionCreated: false };
    });
  }

  /** Points the pipeline at an earlier version: `to`, or the version it had before the current one. */
  async rollback(id: string, opts: WriteOptions & { to?: string } = {}): Promise<WriteResult> {
    checkId(id);
    const entry = await this.store.getDefinitionEntry(id);
    if (entry?.operation !== "PUT") throw new PipelineNotFoundError(id);
    const to = opts.to ?? (await this.previousVersion(id, currentVersion(entry)));
    return this.apply({ id, version: to }, { ...opts, mustExist: true });
  }

  /** Deletes the definition (converge then removes every execution). `purge` also drops history and configs. */
  async delete(id: string, opts: WriteOptions & { purge?: boolean } = {}): Promise<WriteResult> {
    checkId(id);
    for (let attempt = 1; ; attempt++) {
      const entry = await this.store.getDefinitionEntry(id);
      const exists = entry?.operation === "PUT";
      if (opts.ifRevision !== undefined && (entry?.revision ?? 0) !== opts.ifRevision) {
        throw new RevisionMismatchError(id, opts.ifRevision, entry?.revision ?? null);
      }
      if (!exists && !(opts.purge && entry)) throw new PipelineNotFoundError(id);
      const def = exists ? safeDefinition(entry) : null;
      const result: WriteResult = {
        id,
        action: "deleted",
        revision: null,
        version: null,
        versionCreated: false,
        status: null,
        previous: { revision: entry.revision, status: def?.status ?? null, version: def?.version ?? null },
        changes: [opts.purge ? "deleted with its history and every config version" : "deleted"],
        definition: null,
        dryRun: !!opts.dryRun,
      };
      if (opts.dryRun) return result;
      try {
        if (exists) await this.store.deleteDefinition(id, { ifRevision: entry.revision });
      } catch (err) {
        await this.lostCompareAndSet(err, id, attempt, opts.ifRevision);
        continue;
      }
      if (opts.purge) {
        await this.store.purgeDefinition(id);
        for (const v of await listVersions(this.store, id)) await this.store.deleteConfig(id, v.version);
      }
      return result;
    }
  }

  /** Lints one version's config with the configured linter. */
  async lint(id: string, version: string): Promise<LintResult> {
    return this.linter(await this.config(id, version));
  }

  // ---- internals ------------------------------------------------------------------------------

  private async precheck(id: string, opts: WriteOptions): Promise<void> {
    const entry = await this.store.getDefinitionEntry(id);
    checkPreconditions(id, entry, opts);
  }

  private async previousVersion(id: string, current: string | undefined): Promise<string> {
    // The version the definition had before the current one (KV history), like an "undo"…
    const history: string[] = [];
    for (const e of await this.store.definitionHistory(id)) {
      if (e.operation !== "PUT") continue;
      const v = safeVersion(e.value);
      if (v) history.push(v);
    }
    for (let i = history.length - 1; i >= 0; i--) {
      if (history[i] !== current && (await this.store.getConfig(id, history[i]))) return history[i];
    }
    // …else the highest stored version below the current one.
    const versions = (await listVersions(this.store, id)).map((v) => v.version);
    const below = current ? versions.filter((v) => compareVersions(v, current) < 0) : versions;
    const prev = below.at(-1);
    if (!prev)
      throw new ValidationError(
        `pipeline ${id} has no version before ${current ?? "its current one"} to roll back to`,
      );
    return prev;
  }

  /**
   * The compare-and-set loop: read the entry, compute the next definition from it, write it only
   * if the revision is unchanged. A lost race re-reads and recomputes (or, with ifRevision, fails).
   */
  private async update(
    id: string,
    opts: WriteOptions,
    compute: (
      base: Record<string, unknown> | null,
    ) => Promise<{ next: Record<string, unknown>; versionCreated: boolean }>,
    known: Map<string, string> = new Map(),
  ): Promise<WriteResult> {
    const lintCache = new Map<string, LintResult>();
    for (let attempt = 1; ; attempt++) {
      const entry = await this.store.getDefinitionEntry(id);
      checkPreconditions(id, entry, opts);
      const exists = entry?.operation === "PUT";
      const base = exists ? rawObject(entry.value) : null;
      const prevDef = exists ? safeDefinition(entry) : null;
      const { next, versionCreated } = await compute(base);
      const parsed = definitionSchema.safeParse(next);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue.path.join(".");
        throw new ValidationError(`pipeline ${id}: ${field ? `${field}: ` : ""}${issue.message}`, {
          issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
        });
      }
      const definition = next as PipelineDefinition;
      const previous = exists
        ? {
            revision: entry.revision,
            status: (base?.status as string) ?? null,
            version: versionOf(base) ?? null,
          }
        : null;
      const changes =
        exists && !base
          ? [`replaced an invalid definition (version ${next.version ?? "none"}, ${next.status})`]
          : describeChanges(base, next, versionCreated);
      const unchanged = exists && canonical(base) === canonical(next);

      let lint: LintResult | undefined;
      const publishes =
        definition.status === "published" &&
        (previous?.status !== "published" || previous?.version !== definition.version || prevDef === null);
      if (publishes && !unchanged && definition.version) {
        const text = known.get(definition.version);
        lint =
          lintCache.get(definition.version) ??
          (text !== undefined ? await this.linter(text) : await this.lint(id, definition.version));
        lintCache.set(definition.version, lint);
        if (!opts.force && lint.issues.some((i) => i.level === "error")) {
          throw new LintFailedError(id, definition.version, lint.issues, lint.linter);
        }
      }
      // Autoscaling an input the replicas cannot share is allowed, but said (CONTRACT.md §6).
      const scaling = canonical(base?.autoscale) !== canonical(next.autoscale) || publishes;
      if (definition.autoscale && definition.version && definition.mode !== "job" && scaling && !unchanged) {
        const text = known.get(definition.version) ?? (await this.config(id, definition.version));
        const issue = autoscaleIssue(text);
        if (issue) lint = { linter: lint?.linter ?? "builtin", issues: [...(lint?.issues ?? []), issue] };
      }
      const result: WriteResult = {
        id,
        action: unchanged ? "unchanged" : exists ? "updated" : "created",
        revision: unchanged ? entry!.revision : null,
        version: definition.version ?? null,
        versionCreated,
        status: definition.status,
        previous,
        changes: unchanged ? [] : changes,
        definition,
        lint,
        dryRun: !!opts.dryRun,
      };
      if (unchanged || opts.dryRun) return result;
      const data = JSON.stringify(next);
      try {
        result.revision = await this.store.putDefinition(id, data, { ifRevision: entry?.revision ?? 0 });
        return result;
      } catch (err) {
        await this.lostCompareAndSet(err, id, attempt, opts.ifRevision);
      }
    }
  }

  /**
   * After a failed KV write: rethrows anything but a lost compare-and-set; with a revision the
   * caller insisted on, fails with REVISION_MISMATCH; after MAX_ATTEMPTS, with CONFLICT; else waits
   * before the caller re-reads and retries.
   */
  private async lostCompareAndSet(
    err: unknown,
    id: string,
    attempt: number,
    ifRevision: number | undefined,
  ): Promise<void> {
    if (!(err instanceof RevisionConflictError)) throw err;
    if (ifRevision !== undefined) {
      throw new RevisionMismatchError(
        id,
        ifRevision,
        (await this.store.getDefinitionEntry(id))?.revision ?? null,
      );
    }
    if (attempt >= MAX_ATTEMPTS) throw new ConflictError(id, attempt);
    await backoff(attempt);
  }
}

function checkPreconditions(id: string, entry: DefinitionEntry | null, opts: WriteOptions): void {
  const exists = entry?.operation === "PUT";
  if (opts.ifRevision !== undefined && (entry?.revision ?? 0) !== opts.ifRevision) {
    throw new RevisionMismatchError(id, opts.ifRevision, entry?.revision ?? null);
  }
  if (opts.mustNotExist && exists) throw new PipelineExistsError(id, entry.revision);
  if (opts.mustExist && !exists) throw new PipelineNotFoundError(id);
}

export function checkId(id: string): void {
  if (!isValidId(id)) throw new InvalidIdError(id);
}

function assign(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) return;
  if (value === null) delete target[key];
  else target[key] = value;
}

function rawObject(value: Uint8Array): Record<string, unknown> | null {
  try {
    const v = JSON.parse(new TextDecoder().decode(value));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function versionOf(raw: Record<string, unknown> | null): string | undefined {
  const v = raw?.version;
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
}

function safeVersion(value: Uint8Array): string | undefined {
  return versionOf(rawObject(value));
}

function currentVersion(entry: DefinitionEntry): string | undefined {
  return safeVersion(entry.value);
}

function safeDefinition(entry: DefinitionEntry): PipelineDefinition | null {
  try {
    return parseDefinition(entry.key, entry.value);
  } catch {
    return null;
  }
}

function toView(entry: DefinitionEntry, observed: PipelineStatus | null): PipelineView {
  let definition: PipelineDefinition | null = null;
  let definitionError: StatusError | null = null;
  try {
    definition = parseDefinition(entry.key, entry.value);
  } catch (err) {
    definitionError = toStatusError(err, "INVALID_DEFINITION");
  }
  return {
    id: entry.key,
    revision: entry.revision,
    updatedAt: entry.created.toISOString(),
    definition,
    definitionError,
    observed,
  };
}

function describeChanges(
  base: Record<string, unknown> | null,
  next: Record<string, unknown>,
  versionCreated: boolean,
): string[] {
  if (!base) return [`created (version ${next.version ?? "none"}, ${next.status})`];
  const out: string[] = [];
  const bv = versionOf(base);
  if (bv !== next.version) {
    out.push(
      versionCreated ? `new version ${next.version}` : `version ${bv ?? "none"} → ${next.version ?? "none"}`,
    );
  }
  if (base.status !== next.status) out.push(`status ${String(base.status)} → ${String(next.status)}`);
  if (base.replicas !== next.replicas)
    out.push(`replicas ${String(base.replicas)} → ${String(next.replicas)}`);
  if (canonical(base.autoscale) !== canonical(next.autoscale))
    out.push(`autoscale ${describeAutoscale(base.autoscale)} → ${describeAutoscale(next.autoscale)}`);
  for (const key of [
    "name",
    "description",
    "labels",
    "mode",
    "trigger",
    "concurrency",
    "timeout",
    "retries",
  ]) {
    if (canonical(base[key]) !== canonical(next[key])) out.push(`${key} changed`);
  }
  return out;
}

function describeAutoscale(value: unknown): string {
  if (!value || typeof value !== "object") return "none";
  const a = value as Partial<Autoscale>;
  return `min ${a.min} max ${a.max} targetPending ${a.targetPending} cooldown ${a.cooldown}`;
}

/** JSON with sorted keys, so key order never counts as a change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

function backoff(attempt: number): Promise<void> {
  return sleep(Math.min(20 * 2 ** attempt, 500) * (0.5 + Math.random()));
}
