// Errors of an invocation, with stable codes that reach the events stream and a pipeline's status.
import { PermanentError, ReefError } from "../model";

export type InvokeErrorCode =
  /** The function ran and threw (Lambda `FunctionError`). */
  | "FUNCTION_ERROR"
  /** The function could not be reached or did not answer in time. */
  | "INVOKE_FAILED";

export class InvokeError extends ReefError<InvokeErrorCode> {
  override name = "InvokeError";
}

/** The function refused the request itself (its error is a PermanentError there): do not retry. */
export class FunctionRejectedError extends PermanentError<"FUNCTION_ERROR"> {
  override name = "FunctionRejectedError";
  constructor(message: string) {
    super("FUNCTION_ERROR", message);
  }
}
