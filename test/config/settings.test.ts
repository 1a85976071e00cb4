// lib/config: the one settings parser (durations, sizes, numbers, choices), its errors, and the
// README's configuration tables, which must be what the schema says.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSettings, SCHEMA, settingsFrom, settingsEnv, withSettingsTables } from "../../lib/config";
import { InvalidSettingError } from "../../lib/model";

describe("settings", () => {
  it("has a default for every setting, each a value of its form", () => {
    const s = checkSettings({});
    expect(s).toMatchObject({
      natsUrl: "nats://127.0.0.1:4222",
      pipelinesBucket: "pipelines",
      heartbeatInterval: 5_000,
      resyncInterval: 60_000,
      stopTimeout: 10_000,
      maxReplicas: 32,
      bridgeInvoker: "lambda",
      executionEnv: [],
      lambdaPort: 3002,
    });
    expect(s.executor).toBeUndefined();
    expect(s.eventsMaxAge).toBeUndefined();
  });

  it("reads durations one way: Go-style units, a plain number is seconds", () => {
    const cases: [string, number][] = [
      ["90", 90_000],
      ["90s", 90_000],
      ["5m", 300_000],
      ["1h30m", 5_400_000],
      ["250ms", 250],
      ["1.5", 1_500],
      ["0", 0],
    ];
    for (const [text, ms] of cases) {
      expect(settingsFrom({ REEF_RESYNC_INTERVAL: text }).resyncInterval).toBe(ms);
      expect(settingsFrom({ REEF_EVENTS_MAX_AGE: text }).eventsMaxAge).toBe(ms);
    }
    // the same variable that once meant milliseconds as a plain number now means seconds
    expect(settingsFrom({ REEF_LOGS_MAX_AGE: "90" }).logsMaxAge).toBe(90_000);
    expect(settingsFrom({ REEF_STOP_TIMEOUT: "3" }).stopTimeout).toBe(3_000);
    expect(settingsFrom({ REEF_OFFLINE_START_TIMEOUT: "2m" }).offlineStartTimeout).toBe(120_000);
    // *_MS variables keep milliseconds for a plain number, and take durations too
    expect(settingsFrom({ REEF_RUN_TIMEOUT_MS: "1500" }).runTimeoutMs).toBe(1_500);
    expect(settingsFrom({ REEF_RUN_TIMEOUT_MS: "2s" }).runTimeoutMs).toBe(2_000);
  });

  it("reads sizes, whole numbers, choices and lists", () => {
    const s = settingsFrom({
      REEF_EVENTS_MAX_BYTES: "512MiB",
      REEF_HOST_MAX_MEMORY: "1GiB",
      REEF_BRIDGE_CONCURRENCY: "3",
      REEF_EXECUTOR: "host",
      REEF_EXECUTION_ENV: " KAFKA_BROKERS , REGION,",
      REEF_DOCKER_BINDS: "/a:/b:ro, /c:/d",
    });
    expect(s).toMatchObject({
      eventsMaxBytes: 512 * 1024 ** 2,
      hostMaxMemory: 1024 ** 3,
      bridgeConcurrency: 3,
      executor: "host",
      executionEnv: ["KAFKA_BROKERS", "REGION"],
      dockerBinds: ["/a:/b:ro", "/c:/d"],
    });
  });

  it("treats an empty variable as unset", () => {
    expect(settingsFrom({ REEF_RESYNC_INTERVAL: "  ", REEF_EXECUTOR: "" })).toMatchObject({
      resyncInterval: 60_000,
      executor: undefined,
    });
  });

  it.each([
    ["REEF_RESYNC_INTERVAL", "soon", "resyncInterval", "a duration like 90s"],
    ["REEF_EVENTS_MAX_AGE", "1x", "eventsMaxAge", "a duration like 90s"],
    ["REEF_HEARTBEAT_INTERVAL", "10ms", "heartbeatInterval", "at least 100ms"],
    ["REEF_HOST_TTL", "500ms", "hostTtl", "at least 1000ms"],
    ["REEF_EVENTS_MAX_BYTES", "1 lot", "eventsMaxBytes", "a size like"],
    ["REEF_BRIDGE_CONCURRENCY", "0", "bridgeConcurrency", "a whole number of at least 1"],
    ["REEF_MAX_REPLICAS", "2.5", "maxReplicas", "a whole number of at least 1"],
    ["REEF_HOSTS", "65", "hosts", "a whole number from 1 to 64"],
    ["REEF_LAMBDA_PORT", "port", "lambdaPort", "a whole number from 1 to 65535"],
    ["REEF_BRIDGE_INVOKER", "carrier-pigeon", "bridgeInvoker", "lambda, in-process"],
    ["REEF_EXECUTOR", "kubernetes", "executor", "process, docker, ecs or host"],
    ["REEF_EXECUTION_ENV", "GOOD,not-a-name", "executionEnv", '"not-a-name" is not one'],
    ["REEF_HOST_ID", "a host", "hostId", "1-64 letters"],
  ] as const)(
    "%s=%s is an InvalidSettingError naming the variable, the value and the form",
    (name, value, key, form) => {
      const s = settingsFrom({ [name]: value });
      let caught: unknown;
      try {
        void s[key];
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(InvalidSettingError);
      const err = caught as InvalidSettingError;
      expect(err.code).toBe("INVALID_SETTING");
      expect(err.variable).toBe(name);
      expect(err.value).toBe(value);
      expect(err.message).toMatch(new RegExp(`^${name} must be `));
      expect(err.message).toContain(JSON.stringify(value));
      expect(err.message).toContain(form);
      // a bad value fails where its setting is read, not every other setting
      expect(s.natsUrl).toBe("nats://127.0.0.1:4222");
      expect(() => checkSettings({ [name]: value })).toThrow(InvalidSettingError);
    },
  );

  it("hands settings on as their variables, validated first", () => {
    const env = { REEF_HEARTBEAT_INTERVAL: "2s", REEF_LOGS_RATE: "10", OTHER: "x" };
    expect(settingsEnv(env, ["heartbeatInterval", "logsRate", "healthBucket"])).toEqual({
      REEF_HEARTBEAT_INTERVAL: "2s",
      REEF_LOGS_RATE: "10",
    });
    expect(() => settingsEnv({ REEF_LOGS_RATE: "lots" }, ["logsRate"])).toThrow(/REEF_LOGS_RATE/);
  });

  it("sees a changed environment, and parses an unchanged one once", () => {
    const env: NodeJS.ProcessEnv = { REEF_MAX_REPLICAS: "2" };
    const first = settingsFrom(env);
    expect(settingsFrom({ ...env })).toBe(first);
    env.REEF_MAX_REPLICAS = "3";
    expect(settingsFrom(env).maxReplicas).toBe(3);
  });

  it("names each variable once", () => {
    const names = Object.values(SCHEMA).map((s) => s.env);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("the README's configuration tables", () => {
  it("are the schema's (npm run settings:docs writes them)", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect(withSettingsTables(readme), "run npm run settings:docs").toBe(readme);
  });

  it("show every setting once", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const s of Object.values(SCHEMA)) {
      const rows = readme.split("\n").filter((line) => line.startsWith(`| \`${s.env}\` |`));
      expect(rows, s.env).toHaveLength(1);
    }
  });
});
