// What a component factory gets: resources, logger, metrics, the stream's stop signal, shared
// NATS connections and the shared HTTP server.
import type { Readable } from "node:stream";
import type { EngineConfig } from "../config/types";
import type { Cache, RateLimit } from "./cache";
import type { HttpServerRegistry } from "./http";
import type { Logger } from "./logger";
import type { MetricsRegistry } from "./metrics";
import type { NatsConnections } from "./nats";
import type { Input, Output, Processor } from "./types";

export interface Resources {
  cache(name: string): Cache;
  rateLimit(name: string): RateLimit;
  processor(name: string): Processor;
  input(name: string): Input;
  output(name: string): Output;
}

export interface BuildContext {
  config: EngineConfig;
  resources: Resources;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Aborts when the stream is stopping: long waits (sleep, rate limits, retries) end early. */
  signal: AbortSignal;
  nats: NatsConnections;
  http: HttpServerRegistry;
  env: NodeJS.ProcessEnv;
  /** What the `stdin` input reads (default: the process's stdin); a job run's payload. */
  stdin?: Readable;
}
