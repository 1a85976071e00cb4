// The store for `reef events` / `reef replay`: NATS, bucket names and the events stream's
// retention (REEF_EVENTS_MAX_AGE / REEF_EVENTS_MAX_BYTES) from the environment.
import { openContext } from "../context";
import { eventsRetentionFromEnv, type Store } from "../store";

export async function withStore<T>(
  fn: (store: Store) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  eventsRetentionFromEnv(env); // a bad setting fails before connecting
  const ctx = await openContext({ name: "reef-cli", env });
  try {
    return await fn(ctx.store);
  } finally {
    await ctx.close().catch(() => undefined);
  }
}
