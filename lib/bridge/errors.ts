// Errors of the bridge, with stable codes that reach the events stream and a pipeline's status.
import { ReefError } from "../model";

export type BridgeErrorCode =
  /** A bridge setting is invalid. */
  "INVALID_CONFIG";

export class BridgeError extends ReefError<BridgeErrorCode> {
  override name = "BridgeError";
}
