// Errors of the bridge, with stable codes that reach the events stream and a pipeline's status.

export type BridgeErrorCode =
  /** The function ran and threw (Lambda `FunctionError`). */
  | "FUNCTION_ERROR"
  /** The function could not be reached or did not answer in time. */
  | "INVOKE_FAILED"
  | "INVALID_CONFIG";

export class BridgeError extends Error {
  override name = "BridgeError";
  constructor(
    readonly code: BridgeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** `{code, message}` of anything thrown: coded errors keep their code. */
export function errorInfo(err: unknown, fallback = "INVOKE_FAILED"): { code: string; message: string } {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  return { code: typeof code === "string" && code ? code : fallback, message };
}
