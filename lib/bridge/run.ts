// `reef bridge` (and the bridge inside `reef up`): connects with unlimited reconnects, creates
// missing buckets, runs until SIGTERM/SIGINT, then drains.
import type { Log } from "../model";
import { Logger } from "@aws-lambda-powertools/logger";
import {
  connectNats,
  eventsRetentionFromEnv,
  heartbeatIntervalFromEnv,
  Store,
  storeNamesFromEnv,
} from "../store";
import { Bridge } from "./bridge";
import { bridgeConfigFromEnv, type BridgeConfig } from "./config";
import { createInvoker, functionName } from "../invoke";

/** JSON-lines logger (Powertools: the same shape as the functions' logs). */
export function bridgeLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = (env.REEF_LOG_LEVEL || env.POWERTOOLS_LOG_LEVEL || "INFO").toUpperCase();
  return new Logger({ serviceName: "reef-bridge", logLevel: level as "INFO" });
}

export interface RunningBridge {
  bridge: Bridge;
  config: BridgeConfig;
  /** Drains and closes; resolves when done. */
  stop(): Promise<void>;
  /** Resolves when the bridge stopped (signal or stop()). */
  done: Promise<void>;
}

export async function startBridge(
  opts: { env?: NodeJS.ProcessEnv; log?: Log; handleSignals?: boolean } = {},
): Promise<RunningBridge> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? bridgeLogger(env);
  const config = bridgeConfigFromEnv(env);
  log.info("connecting to NATS (waits until it answers)", { nats: env.NATS_URL || "nats://127.0.0.1:4222" });
  const nc = await connectNats({ name: "reef-bridge", longRunning: true, env });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnect") log.warn(`nats ${s.type}`, { server: s.server });
    }
  })();
  // the bridge writes the events stream: its retention applies if the stream is created here
  const store = await Store.open(nc, { names: storeNamesFromEnv(env), ...eventsRetentionFromEnv(env) });
  const invoker = createInvoker(config, env);
  const bridge = new Bridge({
    store,
    invoker,
    config,
    log,
    executorKind: env.REEF_EXECUTOR || undefined,
    heartbeatIntervalMs: heartbeatIntervalFromEnv(env),
  });
  bridge.start();
  log.info("bridge started", {
    nats: env.NATS_URL || "nats://127.0.0.1:4222",
    bucket: store.names.pipelines,
    durable: config.durable,
    invoker: config.invoker,
    converge: config.invoker === "lambda" ? functionName(config.stage, "converge") : "in-process",
    lambdaEndpoint: config.lambdaEndpoint ?? "(AWS)",
    concurrency: config.concurrency,
    resyncIntervalMs: config.resyncIntervalMs,
  });

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info("bridge stopping");
      await bridge.stop();
      await invoker.close();
      // bounded: a drain against an unreachable server would wait for the reconnect forever
      const drained = nc.drain().then(
        () => true,
        () => false,
      );
      const timer = new Promise<boolean>((r) => setTimeout(() => r(false), 5_000).unref());
      if (!(await Promise.race([drained, timer]))) await nc.close().catch(() => undefined);
      log.info("bridge stopped", { ...bridge.stats });
      resolveDone();
    })());
  if (opts.handleSignals) {
    const onSignal = () => void stop();
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  return { bridge, config, stop, done };
}
