// A Pipelines service over a NATS connection from the environment (CLI commands, the api function).
import { ReefError } from "../model";
import { connectNats, DEFAULT_NATS_URL, Store } from "../store";
import { Pipelines } from "./service";

export interface OpenPipelines {
  pipelines: Pipelines;
  store: Store;
  close(): Promise<void>;
}

export async function openPipelines(
  opts: { name?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<OpenPipelines> {
  const env = opts.env ?? process.env;
  const nc = await connectNats({ name: opts.name ?? "reef-cli", env }).catch((err: Error) => {
    throw new ReefError(
      "NATS_ERROR",
      `cannot connect to NATS at ${env.NATS_URL || DEFAULT_NATS_URL}: ${err.message} (set NATS_URL, or start the local stack with npm start)`,
    );
  });
  try {
    const store = await Store.open(nc, { env });
    return { pipelines: new Pipelines(store, { env }), store, close: () => nc.close() };
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw err;
  }
}

/** Runs `fn` with a Pipelines service and always closes the connection. */
export async function withPipelines<T>(
  fn: (pipelines: Pipelines, store: Store) => Promise<T>,
  opts: { name?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<T> {
  const open = await openPipelines(opts);
  try {
    return await fn(open.pipelines, open.store);
  } finally {
    await open.close().catch(() => undefined);
  }
}
