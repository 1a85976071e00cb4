// Errors of the bridge, with stable codes that reach the events stream and a pipeline's status.
import { ReefError } from "../model";

export type BridgeErrorCode =
  /** The function ran and threw (Lambda `FunctionError`). */
  | "FUNCTION_ERROR"
  /** The function could not be reached or did not answer in time. */
  | "INVOKE_FAILED"
  | "INVALID_CONFIG";

export class BridgeError extends ReefError<BridgeErrorCode> {
  override name = "BridgeError";
}
