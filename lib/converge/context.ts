// The dependencies of converge/reconcile built from the environment, once per process: a Lambda
// container reuses them across warm invocations.
import { createExecutor } from "../executors";
import { connectNats, Store } from "../store";
import type { ConvergeDeps, Log } from "./converge";

let cached: Promise<ConvergeDeps> | undefined;

export function convergeDepsFromEnv(log?: Log, env: NodeJS.ProcessEnv = process.env): Promise<ConvergeDeps> {
  cached ??= (async () => {
    const nc = await connectNats({ name: "reef-functions", env });
    const store = await Store.open(nc);
    const executor = await createExecutor(env);
    const settleMs = env.REEF_SETTLE_MS ? Number(env.REEF_SETTLE_MS) : undefined;
    return { store, executor, log, settleMs };
  })().catch((err) => {
    cached = undefined; // a failed start (NATS down) is retried on the next call
    throw err;
  });
  return cached;
}
