// A Pipelines service over a NATS connection from the environment (CLI commands, the api function).
import { settingsFrom } from "../config";
import { ReefError } from "../model";
import type { Store } from "../store";
import { openContext } from "../context";
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
  const ctx = await openContext({ name: opts.name ?? "reef-cli", env }).catch((err: Error) => {
    if (err instanceof ReefError) throw err;
    throw new ReefError(
      "NATS_ERROR",
      `cannot connect to NATS at ${settingsFrom(env).natsUrl}: ${err.message} (set NATS_URL, or start the local stack with npm start)`,
    );
  });
  return { pipelines: new Pipelines(ctx.store, { env }), store: ctx.store, close: () => ctx.close() };
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
