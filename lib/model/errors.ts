// Errors with stable codes. The `code` is what reaches a pipeline's status, the API and the CLI;
// the message is for people. Names follow the Powertools convention (`…Error` + `code`).

export type ErrorCode =
  | "INVALID_DEFINITION"
  | "INVALID_ID"
  | "INVALID_EVENT"
  | "CONFIG_NOT_FOUND"
  | "INVALID_CONFIG"
  | "DIGEST_MISMATCH"
  | "ENGINE_NOT_FOUND"
  | "ENGINE_FAILED"
  | "EXECUTOR_ERROR"
  | "NAME_CONFLICT"
  | "NATS_ERROR";

/** The base of reef's errors; modules with codes of their own narrow `C` (e.g. lib/pipelines). */
export class ReefError<C extends string = ErrorCode> extends Error {
  override name = "ReefError";
  constructor(
    readonly code: C,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The `{ code, message }` shape stored in a pipeline's status. */
  toStatusError(): StatusError {
    return { code: this.code, message: this.message };
  }
}

export interface StatusError {
  code: string;
  message: string;
}

/**
 * A problem with what was asked (a malformed event, an invalid definition, id or config) rather
 * than with reef or its surroundings: the same request fails the same way every time, so whoever
 * would retry it (the bridge) records the failure at once instead.
 */
export class PermanentError<C extends string = ErrorCode> extends ReefError<C> {
  override name = "PermanentError";
}

/** Whether retrying `err`'s request cannot help (see PermanentError). */
export function isPermanent(err: unknown): boolean {
  return err instanceof PermanentError;
}

/**
 * The names of the permanent errors, for telling them after they crossed a process boundary (a
 * Lambda error payload carries only `errorType`, the error's name).
 */
export const PERMANENT_ERROR_NAMES: ReadonlySet<string> = new Set([
  "PermanentError",
  "InvalidDefinitionError",
  "InvalidIdError",
  "InvalidConfigError",
  "InvalidEventError",
]);

/** The definition in the KV is not a valid pipeline definition. `details.field` names the culprit. */
export class InvalidDefinitionError extends PermanentError {
  override name = "InvalidDefinitionError";
  constructor(message: string, details?: Record<string, unknown>) {
    super("INVALID_DEFINITION", message, details);
  }
}

/**
 * A malformed setting (an env value reef cannot read, e.g. a duration or a number): names the
 * variable, the value and the form expected (lib/config).
 */
export class InvalidSettingError extends ReefError<"INVALID_SETTING"> {
  override name = "InvalidSettingError";
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly expected: string,
    detail?: string,
  ) {
    super(
      "INVALID_SETTING",
      `${variable} must be ${expected} (got ${JSON.stringify(value)}${detail ? `: ${detail}` : ""})`,
      { variable, value, expected },
    );
  }
}

/** A pipeline id that is not a DNS label (used where only an id is given, e.g. an API path). */
export class InvalidIdError extends PermanentError {
  override name = "InvalidIdError";
  constructor(id: string) {
    super("INVALID_ID", `invalid pipeline id ${JSON.stringify(id)}: ${ID_RULE}`, { id });
  }
}

export class ConfigNotFoundError extends ReefError {
  override name = "ConfigNotFoundError";
  constructor(id: string, version: string) {
    super("CONFIG_NOT_FOUND", `config object ${id}/${version} not found in the configs bucket`, {
      id,
      version,
    });
  }
}

export class InvalidConfigError extends PermanentError {
  override name = "InvalidConfigError";
  constructor(message: string, details?: Record<string, unknown>) {
    super("INVALID_CONFIG", message, details);
  }
}

/** A change event that is not one (CONTRACT.md §2): the function was called with something else. */
export class InvalidEventError extends PermanentError {
  override name = "InvalidEventError";
  constructor(message: string) {
    super("INVALID_EVENT", message);
  }
}

export class ExecutorError extends ReefError {
  override name = "ExecutorError";
  constructor(message: string, details?: Record<string, unknown>) {
    super("EXECUTOR_ERROR", message, details);
  }
}

/** An object named like one of ours exists but carries none of reef's labels: it is never touched. */
export class NameConflictError extends ReefError {
  override name = "NameConflictError";
  constructor(name: string) {
    super("NAME_CONFLICT", `${name} exists but was not created by reef (no reef labels); it is left alone`, {
      name,
    });
  }
}

export class EngineNotFoundError extends ReefError {
  override name = "EngineNotFoundError";
  constructor(message: string) {
    super("ENGINE_NOT_FOUND", message);
  }
}

export const ID_RULE =
  "a pipeline id is a DNS label: 1-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";

/**
 * Any thrown value as a status error: errors that carry a stable UPPER_CASE `code` (ReefErrors,
 * engine errors) keep it; the rest become `fallback`.
 */
export function toStatusError(err: unknown, fallback: string = "EXECUTOR_ERROR"): StatusError {
  if (err instanceof ReefError) return err.toStatusError();
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return { code: typeof code === "string" && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : fallback, message };
}
