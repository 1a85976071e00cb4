// Error classes of the engine: each has a stable string `code`.

/** A config that cannot be loaded or run (parse errors, lint errors, missing env vars). */
export class EngineConfigError extends Error {
  readonly code = "INVALID_CONFIG";
  override name = "EngineConfigError";
  constructor(
    message: string,
    readonly issues: { path: string; line: number; column: number; message: string }[] = [],
  ) {
    super(message);
  }
}

/** A component failed at run time (connect, write, process). */
export class EngineError extends Error {
  override name = "EngineError";
  constructor(
    message: string,
    readonly code: string = "ENGINE_ERROR",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A message was rejected on purpose (the `reject` output, a `switch` with no match in strict mode). */
export class RejectedError extends EngineError {
  override name = "RejectedError";
  constructor(message: string) {
    super(message, "REJECTED");
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
