// The store for `reef events` / `reef replay`: NATS from the environment, bucket names from the
// environment, and the events stream's retention from REEF_EVENTS_MAX_AGE / REEF_EVENTS_MAX_BYTES.
import { connectNats, eventsRetentionFromEnv, Store, storeNamesFromEnv } from "../store";

export async function withStore<T>(
  fn: (store: Store) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const retention = eventsRetentionFromEnv(env); // a bad setting fails before connecting
  const nc = await connectNats({ name: "reef-cli", env });
  try {
    const store = await Store.open(nc, { names: storeNamesFromEnv(env), ...retention });
    return await fn(store);
  } finally {
    await nc.close().catch(() => undefined);
  }
}
