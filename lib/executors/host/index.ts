// The `host` executor: each execution is a stream inside a shared, long-running reef host
// (lib/host). It talks to hosts only through NATS KV: it writes placements (which host runs which
// replica of which version, running or stopped) and lists executions from the placements and the
// hosts' reports. A placement stays on its host while the host lives; one whose host expired is
// reported `failed` (HOST_LOST) and converge resumes it, which places it on a live host (one whose
// host went silent but has not expired yet is `pending` meanwhile: converge keeps looking).
import { randomInt } from "node:crypto";
import { ExecutorError, sleep, type Execution, type ExecutionState, type StatusError } from "../../model";
import { Store } from "../../store";
import {
  HostBuckets,
  hostSettingsFromEnv,
  NoHostError,
  placementKey,
  type HostRecord,
  type HostReport,
  type HostSettings,
  type Placement,
} from "../../host";
import type { ReplicaExecutor, StartSpec } from "../types";

export interface HostExecutorOptions {
  settings: HostSettings;
  now?: () => number;
  /** How often a stop or removal looks whether the host confirmed it. */
  pollMs?: number;
}

export async function createHostExecutor(env: NodeJS.ProcessEnv = process.env): Promise<HostExecutor> {
  const settings = hostSettingsFromEnv(env);
  const store = await Store.connect({ name: "reef-host-executor", env, longRunning: true });
  const buckets = await HostBuckets.open(store, settings.ttlMs);
  return new HostExecutor(buckets, { settings }, store);
}

/** How long a read of the hosts bucket is reused; well under a host's TTL (10 s by default). */
const HOSTS_CACHE_MS = 1_000;

export function hostExecutionId(pipeline: string, replica: number): string {
  return `reef-${pipeline}-${replica}`;
}

export class HostExecutor implements ReplicaExecutor {
  readonly kind = "host" as const;
  readonly pendingRecheckMs = 500;
  private readonly now: () => number;
  /** The live hosts, read at most every HOSTS_CACHE_MS (a converge lists several times). */
  private hostsRead?: { at: number; hosts: Promise<HostRecord[]> };
  /** Placements this instance made, per host, since that host's last record (balance between records). */
  private readonly recent = new Map<string, number[]>();

  constructor(
    readonly buckets: HostBuckets,
    private readonly opts: HostExecutorOptions,
    /** The store whose connection this executor owns (closed with it). */
    private readonly store?: Store,
  ) {
    this.now = opts.now ?? Date.now;
  }

  async list(pipeline?: string): Promise<Execution[]> {
    const [placements, hosts] = await Promise.all([this.buckets.listPlacements(pipeline), this.hosts()]);
    // One pipeline: the reports of its placements' keys (no listing); every pipeline: all of them.
    const reports = pipeline
      ? (await Promise.all(placements.map((p) => this.buckets.getReport(p.key)))).filter((r) => r !== null)
      : await this.buckets.listReports();
    let liveness = this.liveness(hosts);
    // The cached list may predate a host that joined since or a record it rewrote since: a host is
    // lost or silent only by a fresh read.
    if (placements.some((p) => liveness.get(p.value.host) !== "live")) {
      this.hostsRead = undefined;
      liveness = this.liveness(await this.hosts());
    }
    const byKey = new Map(reports.map((r) => [r.key, r.value]));
    return placements
      .map((p) => observe(p.value, byKey.get(p.key), liveness.get(p.value.host) ?? "lost"))
      .sort((a, b) => a.pipeline.localeCompare(b.pipeline) || a.replica - b.replica);
  }

  /**
   * Each listed host: `live`, or `silent` when it missed two rewrites of its record (older than two
   * thirds of REEF_HOST_TTL) but has not expired yet. A silent host's running executions list as
   * `pending`, so converge looks again (requeued) until the host writes again or expires and they
   * are placed elsewhere: a converge the bridge's health watch starts when they stop reporting
   * never settles on a host that is about to be lost.
   */
  private liveness(hosts: HostRecord[]): Map<string, "live" | "silent"> {
    const silentAfter = (this.opts.settings.ttlMs * 2) / 3;
    const now = this.now();
    return new Map(
      hosts.map((h) => [h.id, now - Date.parse(h.updatedAt) > silentAfter ? "silent" : "live"] as const),
    );
  }

  private hosts(): Promise<HostRecord[]> {
    const now = this.now();
    if (!this.hostsRead || now - this.hostsRead.at > HOSTS_CACHE_MS) {
      const hosts = this.buckets.liveHosts();
      this.hostsRead = { at: now, hosts };
      hosts.catch(() => (this.hostsRead = undefined));
    }
    return this.hostsRead.hosts;
  }

  async start(spec: StartSpec): Promise<void> {
    const key = placementKey(spec.pipeline, spec.replica);
    const placement: Placement = {
      ...spec,
      host: await this.chooseHost(),
      desired: "running",
      placedAt: new Date(this.now()).toISOString(),
    };
    try {
      await this.buckets.placements.put(key, JSON.stringify(placement), { ifRevision: 0 });
      this.placed(placement.host);
    } catch (err) {
      // placed already (by a concurrent converge), or still being removed by its host: the next
      // converge sees it
      if (!(await this.buckets.getPlacement(key))) throw err;
    }
  }

  async resume(execution: Execution): Promise<void> {
    const key = placementKey(execution.pipeline, execution.replica);
    const current = await this.buckets.getPlacement(key);
    if (!current) throw new ExecutorError(`execution ${execution.id} vanished before it could be resumed`);
    const hosts = await this.buckets.liveHosts();
    const where = hosts.find((h) => h.id === current.value.host);
    // Stays where it is while its host lives and takes it; else it moves to the least loaded host.
    const host = where?.accepting ? where.id : await this.chooseHost(hosts);
    const next: Placement = {
      ...current.value,
      host,
      desired: "running",
      placedAt: new Date(this.now()).toISOString(),
    };
    await this.buckets.placements.put(key, JSON.stringify(next), { ifRevision: current.revision });
    if (host !== current.value.host) this.placed(host);
  }

  async stop(execution: Execution): Promise<void> {
    const key = placementKey(execution.pipeline, execution.replica);
    const current = await this.buckets.getPlacement(key);
    if (!current || current.value.desired === "removed") return;
    if (current.value.desired !== "stopped") {
      const next: Placement = { ...current.value, desired: "stopped" };
      await this.buckets.placements.put(key, JSON.stringify(next), { ifRevision: current.revision });
    }
    // Done when the host says so (or is gone): a paused pipeline writes nothing more. A host slower
    // than that leaves the execution `pending` (stopping) and the converge is requeued.
    const host = current.value.host;
    await this.confirm(host, async () => {
      const r = await this.buckets.getReport(key);
      return r?.value.state === "stopped" && r.value.host === host;
    });
  }

  async remove(execution: Execution): Promise<void> {
    const key = placementKey(execution.pipeline, execution.replica);
    let current = await this.buckets.getPlacement(key);
    if (!current) {
      await this.buckets.reports.purge(key).catch(() => undefined);
      return;
    }
    // The host removes it: stops the stream, purges its report and heartbeat, then deletes the
    // placement. Until then the placement stays (`pending` in list(), and no new placement of the
    // key starts beside it: a version switch never runs v1 and v2 at once).
    if (current.value.desired !== "removed") {
      const next: Placement = { ...current.value, desired: "removed" };
      const revision = await this.buckets.placements.put(key, JSON.stringify(next), {
        ifRevision: current.revision,
      });
      current = { ...current, revision, value: next };
    }
    const { host } = current.value;
    const gone = async () => (await this.buckets.getPlacement(key))?.revision !== current.revision;
    if (!(await this.confirm(host, gone)) && !(await this.hostLive(host))) {
      // A host that died removes nothing: no trace of the execution remains.
      await this.buckets.reports.purge(key).catch(() => undefined);
      // A delete marker, not a purge: on nats-server 2.9 a watcher could miss a purge (rollup).
      await this.buckets.placements.delete(key, { ifRevision: current.revision }).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.store?.drain().catch(() => undefined);
  }

  /**
   * Waits until `done()`, bounded by the stop timeout and a margin; false when the host is gone or
   * the time is up (the execution then lists as `pending` and the converge is requeued).
   */
  private async confirm(host: string, done: () => Promise<boolean>): Promise<boolean> {
    const deadline = this.now() + this.opts.settings.stopTimeoutMs + 5_000;
    for (let n = 0; ; n++) {
      if (await done()) return true;
      if (n % 10 === 9 && !(await this.hostLive(host))) return false;
      if (this.now() > deadline) return false;
      await sleep(this.opts.pollMs ?? 100);
    }
  }

  private async hostLive(host: string): Promise<boolean> {
    return (await this.buckets.liveHosts()).some((h) => h.id === host);
  }

  /**
   * The live, accepting host with the fewest placements (ties: any of them), from the hosts read
   * at most HOSTS_CACHE_MS ago plus what this instance placed since each host's record.
   */
  private async chooseHost(known?: HostRecord[]): Promise<string> {
    const hosts = known ?? (await this.hosts());
    const open = hosts.filter((h) => h.accepting);
    // Not on a host that went silent, unless every one did (a busy machine).
    const liveness = this.liveness(open);
    const speaking = open.filter((h) => liveness.get(h.id) === "live");
    const accepting = speaking.length ? speaking : open;
    if (!accepting.length) {
      throw new NoHostError(
        hosts.length
          ? `no reef host accepts new streams: ${hosts.map((h) => h.refusal).join("; ")}`
          : "no reef host is running: start one with `reef host` (npm start with REEF_EXECUTOR=host starts REEF_HOSTS of them)",
      );
    }
    const load = (h: HostRecord) => {
      const since = Date.parse(h.updatedAt);
      const mine = (this.recent.get(h.id) ?? []).filter((t) => t > since);
      this.recent.set(h.id, mine);
      return h.placed + mine.length;
    };
    const loads = accepting.map((h) => ({ id: h.id, load: load(h) }));
    const least = Math.min(...loads.map((l) => l.load));
    const candidates = loads.filter((l) => l.load === least);
    return candidates[randomInt(candidates.length)].id;
  }

  private placed(host: string): void {
    const list = this.recent.get(host) ?? [];
    list.push(this.now());
    this.recent.set(host, list);
  }
}

/** One execution from its placement and what its host reported about that very placement. */
function observe(p: Placement, report: HostReport | undefined, host: "live" | "silent" | "lost"): Execution {
  const hostLive = host !== "lost";
  const base = {
    id: hostExecutionId(p.pipeline, p.replica),
    pipeline: p.pipeline,
    version: p.version,
    digest: p.digest,
    replica: p.replica,
  };
  const current =
    report &&
    report.host === p.host &&
    report.placedAt === p.placedAt &&
    report.version === p.version &&
    report.digest === p.digest
      ? report
      : undefined;
  const startedAt = current?.startedAt ?? p.placedAt;
  // Being removed by its host: on its way out (a dead host's is removed by the executor).
  if (p.desired === "removed") return { ...base, state: hostLive ? "pending" : "stopped", startedAt };
  if (!hostLive) {
    if (p.desired === "stopped") return { ...base, state: "stopped", startedAt };
    const error: StatusError = {
      code: "HOST_LOST",
      message: `host ${p.host} stopped reporting (its entry expired): the execution is placed on a live host`,
    };
    // No start time: the planner paces restarts of crashing executions, not of a lost host's.
    return { ...base, state: "failed", error };
  }
  let state: ExecutionState;
  if (p.desired === "stopped") state = current?.state === "stopped" ? "stopped" : "pending";
  else if (!current || current.state === "stopped") state = "pending";
  else if (host === "silent" && current.state === "running") state = "pending";
  else state = current.state;
  return {
    ...base,
    state,
    startedAt,
    ...(state === "failed" && current?.error ? { error: current.error } : {}),
  };
}
