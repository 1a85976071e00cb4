// Configs that arrive after their definition. A client may publish a definition first and upload
// its config a moment later: that converge failed with CONFIG_NOT_FOUND, and no KV change follows.
// Watching the configs bucket closes the gap without waiting for the next reconcile.
import { sleep, type ChangeEvent, type Log } from "../model";
import type { Store } from "../store";

export interface ConfigWatchOptions {
  store: Store;
  log: Log;
  signal: AbortSignal;
  /** A config object `<id>/<version>` was stored. */
  onConfig(id: string, version: string): void;
}

/** Watches new config objects until `signal` aborts; restarts the watch (bounded backoff) if it ends. */
export async function watchConfigs(opts: ConfigWatchOptions): Promise<void> {
  const { store, log, signal } = opts;
  for (let delay = 250; !signal.aborted; delay = Math.min(delay * 2, 10_000)) {
    try {
      for await (const { id, version } of store.watchConfigs(signal)) {
        delay = 250;
        opts.onConfig(id, version);
      }
    } catch (err) {
      if (!signal.aborted) log.warn("configs watch failed; retrying", { error: String(err) });
    }
    await sleep(delay, signal);
  }
}

/**
 * The change event that converges `<id>` again, when its current definition names `version` and
 * its converge of that definition failed for want of this very config; else null (a converge
 * that has not run yet will find the config by itself).
 */
export async function eventForLateConfig(
  store: Store,
  id: string,
  version: string,
): Promise<ChangeEvent | null> {
  const entry = await store.getDefinitionEntry(id);
  if (!entry || entry.operation !== "PUT") return null;
  let named: unknown;
  try {
    named = (JSON.parse(new TextDecoder().decode(entry.value)) as { version?: unknown }).version;
  } catch {
    return null;
  }
  if (named === undefined || String(named) !== version) return null;
  const status = await store.getStatus(id);
  if (status?.revision !== entry.revision || status.error?.code !== "CONFIG_NOT_FOUND") return null;
  return { key: id, operation: "PUT", revision: entry.revision, timestamp: new Date().toISOString() };
}
