// lib/context: what every entry point works with, opened one way — the settings, a NATS
// connection, the Store on it, the executor (made on first use, when the entry point runs
// executions) and a logger — and closed by one close(). The functions keep one per Lambda
// container (lib/converge/context.ts); the bridge, the CLI, the runner and the in-process invoker
// open their own.
import { settingsFrom, type Settings } from "../config";
import type { Executor } from "../executors/types";
import type { Log } from "../model";
import { Store, type StoreOptions } from "../store";

export interface ReefContext {
  readonly env: NodeJS.ProcessEnv;
  readonly settings: Settings;
  readonly store: Store;
  readonly log?: Log;
  /** The executor, made on first use (a failed start is tried again on the next call). */
  executor(): Promise<Executor>;
  /** False once the NATS connection is closed (it gave up reconnecting, or close() ran). */
  readonly open: boolean;
  /** Closes the executor (if made) and drains the connection (bounded), once. */
  close(): Promise<void>;
}

export interface ContextOptions {
  /** The NATS client name the server shows (e.g. `reef-bridge`). */
  name: string;
  /** The environment the settings come from (default process.env). */
  env?: NodeJS.ProcessEnv;
  log?: Log;
  /** Long-running clients reconnect forever (see lib/store connectNats). */
  longRunning?: boolean;
  failFirstConnect?: boolean;
  /** Logs disconnects and reconnects (long-running clients). */
  logConnection?: boolean;
  /** Store options besides what the environment says (names, retention). */
  store?: Omit<StoreOptions, "env">;
  /** How to make the executor, for entry points that run executions (lib/executors' createExecutor). */
  executor?: (env: NodeJS.ProcessEnv) => Promise<Executor>;
}

/** How long close() waits for the connection to drain before closing it. */
const DRAIN_TIMEOUT_MS = 5_000;

export async function openContext(opts: ContextOptions): Promise<ReefContext> {
  const env = opts.env ?? process.env;
  const settings = settingsFrom(env);
  const store = await Store.connect({
    name: opts.name,
    env,
    longRunning: opts.longRunning,
    failFirstConnect: opts.failFirstConnect,
    ...opts.store,
  });
  if (opts.logConnection && opts.log) {
    const log = opts.log;
    void (async () => {
      for await (const c of store.connectionChanges()) log.warn(`nats ${c.type}`, { server: c.server });
    })();
  }
  // the store owns the connection (isClosed, drain, close)
  let executor: Promise<Executor> | undefined;
  let closing: Promise<void> | undefined;
  return {
    env,
    settings,
    store,
    log: opts.log,
    executor() {
      if (!opts.executor) throw new Error(`context ${opts.name} was opened without an executor`);
      executor ??= opts.executor(env).catch((err: unknown) => {
        executor = undefined;
        throw err;
      });
      return executor;
    },
    get open() {
      return !store.isClosed();
    },
    close() {
      closing ??= (async () => {
        const made = await executor?.catch(() => undefined);
        await made?.close?.();
        // bounded: a drain against an unreachable server would wait for the reconnect forever
        const drained = store.drain().then(
          () => true,
          () => false,
        );
        const timer = new Promise<boolean>((r) => setTimeout(() => r(false), DRAIN_TIMEOUT_MS).unref());
        if (!(await Promise.race([drained, timer]))) await store.close().catch(() => undefined);
      })();
      return closing;
    },
  };
}
