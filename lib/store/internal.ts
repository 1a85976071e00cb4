// lib/store below its public surface (./index), for tests only (eslint keeps lib/ and functions/
// out): the raw NATS handles behind a Store, to write around reef as any other NATS client may.
export * from "./index";
export { connectNats, natsOptionsFromEnv } from "./connection";
export { natsHandles } from "./store";
export type { NatsHandles } from "./store";
export { isWrongLastSequence } from "./errors";
