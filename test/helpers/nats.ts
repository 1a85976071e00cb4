// Shared test helpers: a connection to the test nats-server and unique bucket names per test.
import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import type { PipelineStatus } from "../../lib/model";
import { connectNats, Store, type StoreNames } from "../../lib/store/internal";
import { natsHandles } from "../../lib/store/internal";

export function uniqueSuffix(): string {
  return randomBytes(4).toString("hex");
}

/** Bucket/stream names no other test uses, and the env that selects them. */
export function uniqueNames(): { names: StoreNames; env: Record<string, string> } {
  const s = uniqueSuffix();
  const names: StoreNames = {
    pipelines: `pipelines-${s}`,
    configs: `configs-${s}`,
    status: `status-${s}`,
    events: `EVENTS_${s}`,
    eventsSubject: `reef.events-${s}`,
    leases: `leases-${s}`,
    health: `health-${s}`,
    logs: `LOGS_${s}`,
    logsSubject: `reef.logs-${s}`,
    hosts: `hosts-${s}`,
    placements: `placements-${s}`,
    hostReports: `host-reports-${s}`,
  };
  const env = {
    NATS_URL: process.env.NATS_URL!,
    REEF_PIPELINES_BUCKET: names.pipelines,
    REEF_CONFIGS_BUCKET: names.configs,
    REEF_STATUS_BUCKET: names.status,
    REEF_EVENTS_STREAM: names.events,
    REEF_EVENTS_SUBJECT: names.eventsSubject,
    REEF_LEASES_BUCKET: names.leases,
    REEF_HEALTH_BUCKET: names.health,
    REEF_LOGS_STREAM: names.logs,
    REEF_LOGS_SUBJECT: names.logsSubject,
    REEF_HOSTS_BUCKET: names.hosts,
    REEF_PLACEMENTS_BUCKET: names.placements,
    REEF_HOST_REPORTS_BUCKET: names.hostReports,
  };
  return { names, env };
}

export interface TestStore {
  nc: NatsConnection;
  store: Store;
  names: StoreNames;
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function openTestStore(): Promise<TestStore> {
  const { names, env } = uniqueNames();
  const nc = await connectNats({ name: "reef-test" });
  const store = await Store.open(nc, { names });
  return { nc, store, names, env, close: () => nc.close() };
}

/** Waits until `probe` returns a truthy value, polling; fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Stores a config object the way another client may: nats.go 1.22 leaves the object's modification
 * time unset, so its metadata says Go's zero time. Written with the JS client, then its metadata
 * message is replaced (a rollup on the meta subject, as every Object Store client writes it).
 */
export async function putConfigWithMtime(
  t: TestStore,
  name: string,
  config: string,
  mtime: string,
): Promise<void> {
  await natsHandles(t.store).configs.putBlob({ name }, new TextEncoder().encode(config));
  const bucket = t.names.configs;
  const subject = `$O.${bucket}.M.${Buffer.from(name).toString("base64").replace(/\+/g, "-").replace(/\//g, "_")}`;
  const jsm = await jetstreamManager(t.nc);
  const meta = await jsm.streams.getMessage(`OBJ_${bucket}`, { last_by_subj: subject });
  if (!meta) throw new Error(`no metadata for ${name}`);
  const h = headers();
  h.set("Nats-Rollup", "sub");
  await jetstream(t.nc).publish(subject, JSON.stringify({ ...meta.json<object>(), mtime }), { headers: h });
}

/** A status as converge writes it: published version 1 on the process executor, no executions. */
export function statusOf(
  id: string,
  revision: number,
  phase: PipelineStatus["phase"] = "running",
): PipelineStatus {
  return {
    id,
    phase,
    desired: "published",
    version: "1",
    revision,
    executor: "process",
    executions: [],
    error: null,
    updatedAt: new Date().toISOString(),
  };
}
