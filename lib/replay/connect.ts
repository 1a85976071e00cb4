// The store for `reef events` / `reef replay`: NATS, bucket names and the events stream's
// retention (REEF_EVENTS_MAX_AGE / REEF_EVENTS_MAX_BYTES) from the environment.
import { connectNats, eventsRetentionFromEnv, Store } from "../store";

export async function withStore<T>(
  fn: (store: Store) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const retention = eventsRetentionFromEnv(env); // a bad setting fails before connecting
  const nc = await connectNats({ name: "reef-cli", env });
  try {
    const store = await Store.open(nc, { env, ...retention });
    return await fn(store);
  } finally {
    await nc.close().catch(() => undefined);
  }
}
