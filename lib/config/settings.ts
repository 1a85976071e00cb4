// The environment parsed into typed, validated settings (the list: ./schema.ts).
//
// `settingsFrom(env)` reads the variables of the schema once, then parses each setting the first
// time it is asked for (so a bad value fails where that setting is used, as before, not every
// entry point at once) and keeps the result. `settings()` is the same for process.env, kept while
// the environment's values stay the same.
import { InvalidSettingError } from "../model/errors";
import { SCHEMA, type Setting, type SettingKey, type Settings } from "./schema";

const KEYS = Object.keys(SCHEMA) as SettingKey[];

/** The variables of the schema that are set (non-empty), by variable name. */
function rawValues(env: NodeJS.ProcessEnv): Map<string, string> {
  const raw = new Map<string, string>();
  for (const key of KEYS) {
    const name = SCHEMA[key].env;
    const value = env[name]?.trim();
    if (value) raw.set(name, value);
  }
  return raw;
}

function parse<T>(setting: Setting<T>, value: string | undefined): T {
  const text = value ?? setting.default;
  if (text === undefined) return undefined as T;
  const result = setting.kind.schema.safeParse(text);
  if (result.success) return result.data as T;
  const detail = result.error.issues
    .map((i) => (i as { params?: { detail?: string } }).params?.detail)
    .find(Boolean);
  throw new InvalidSettingError(setting.env, text, setting.kind.form, detail);
}

function build(raw: Map<string, string>): Settings {
  const out = {} as Record<SettingKey, unknown>;
  for (const key of KEYS) {
    let parsed: { value: unknown } | undefined;
    Object.defineProperty(out, key, {
      enumerable: true,
      get: () =>
        (parsed ??= { value: parse(SCHEMA[key] as Setting<unknown>, raw.get(SCHEMA[key].env)) }).value,
    });
  }
  return Object.freeze(out) as Settings;
}

const cache = new Map<string, Settings>();

/**
 * The settings of `env` (an env map given to you: a child's environment, a test's). A bad value
 * throws an InvalidSettingError naming the variable, the value and the expected form when that
 * setting is read.
 */
export function settingsFrom(env: NodeJS.ProcessEnv): Settings {
  return settingsOf(rawValues(env));
}

/** The settings of these variable values, the same object while the values stay the same. */
function settingsOf(raw: Map<string, string>): Settings {
  const fingerprint = JSON.stringify([...raw]);
  let found = cache.get(fingerprint);
  if (!found) {
    if (cache.size >= 32) cache.delete(cache.keys().next().value!);
    found = build(raw);
    cache.set(fingerprint, found);
  }
  return found;
}

/** The settings of this process's environment. */
export function settings(): Settings {
  return settingsFrom(process.env);
}

/** Reads every setting of `env`: throws the first InvalidSettingError (e.g. at start, to fail early). */
export function checkSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const s = settingsFrom(env);
  for (const key of KEYS) void s[key];
  return s;
}

/**
 * The variables of `keys` as they are set in `env` (validated first), for handing settings on to
 * another process's environment (an execution, a host, serverless-offline).
 */
export function settingsEnv(env: NodeJS.ProcessEnv, keys: readonly SettingKey[]): Record<string, string> {
  const raw = rawValues(env);
  const s = settingsOf(raw);
  const out: Record<string, string> = {};
  for (const key of keys) {
    void s[key];
    const value = raw.get(SCHEMA[key].env);
    if (value !== undefined) out[SCHEMA[key].env] = value;
  }
  return out;
}

/** The variable of a setting (for messages). */
export function variableOf(key: SettingKey): string {
  return SCHEMA[key].env;
}
