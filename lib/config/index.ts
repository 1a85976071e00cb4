// lib/config: every setting reef reads from the environment, parsed once into typed, validated
// values (zod). How to add a setting: see ./schema.ts.
export { settings, settingsFrom, checkSettings, settingsEnv, variableOf } from "./settings";
export { SCHEMA, DEFAULT_NATS_URL, DEFAULT_LAMBDA_PORT, DEFAULT_STATE_DIR } from "./schema";
export type { Settings, SettingKey, Setting, Group } from "./schema";
export { settingsTable, withSettingsTables, DOC_TABLES } from "./docs";
export { awsRegion, localLambdaEndpoint, cliLambdaEndpoint, natsServers, logLevel } from "./derived";
