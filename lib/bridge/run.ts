// `reef bridge` (and the bridge inside `reef up`): connects with unlimited reconnects, creates
// missing buckets, runs until SIGTERM/SIGINT, then drains.
import { settingsFrom, type Settings } from "../config";
import { InvalidSettingError, type Log } from "../model";
import type { Logger } from "@aws-lambda-powertools/logger";
import { openContext, reefLogger } from "../context";
import { Bridge } from "./bridge";
import { bridgeConfigFromEnv, type BridgeConfig } from "./config";
import { createInvoker, functionName } from "../invoke";

/** JSON-lines logger (Powertools: the same shape as the functions' logs). */
export function bridgeLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  return reefLogger("reef-bridge", env);
}

/**
 * REEF_EXECUTOR as a hint for the bridge (it runs no executions): a bad value is left for the
 * functions to report, where every converge fails with it and is recorded per pipeline.
 */
function executorHint(settings: Settings): Settings["executor"] {
  try {
    return settings.executor;
  } catch (err) {
    if (err instanceof InvalidSettingError) return undefined;
    throw err;
  }
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
  log.info("connecting to NATS (waits until it answers)", { nats: settingsFrom(env).natsUrl });
  // the bridge writes the events stream: its retention (from env) applies if the stream is created here
  const ctx = await openContext({ name: "reef-bridge", env, log, longRunning: true, logConnection: true });
  const { store } = ctx;
  const invoker = createInvoker(config, env);
  const bridge = new Bridge({
    store,
    invoker,
    config,
    log,
    executorKind: executorHint(ctx.settings),
    heartbeatIntervalMs: ctx.settings.heartbeatInterval,
  });
  bridge.start();
  log.info("bridge started", {
    nats: settingsFrom(env).natsUrl,
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
      await ctx.close();
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
