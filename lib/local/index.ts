// lib/local: the local stack behind `npm start` / `npm run down`, and the nats-server launcher the tests share.
export { freePort, portAnswers, startNatsServer } from "./nats-server";
export type { NatsServer, NatsServerOptions } from "./nats-server";
export { startOffline, killGroup } from "./offline";
export type { Offline, OfflineOptions } from "./offline";
export { loadSample } from "./sample";
export type { SampleResult } from "./sample";
export { localPaths, projectDir } from "./paths";
export type { LocalPaths } from "./paths";
export { up, down } from "./stack";
export type { DownResult, Printer, RunningStack, UpOptions } from "./stack";
export { LocalStackError } from "./errors";
export { ensureLocalNatsAuth, readLocalNatsAuth, useLocalNats } from "./nats-auth";
export type { LocalNatsAuth } from "./nats-auth";
