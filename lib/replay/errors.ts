// Errors of replay, with stable codes (shown by the CLI as `error [CODE]: …`).
import { ReefError } from "../model";

export type ReplayErrorCode =
  /** The selection is not usable (bad range, unknown pipeline, nothing to replay where something was required). */
  | "INVALID_SELECTION"
  /** The events stream or KV history no longer holds what was asked for. */
  | "HISTORY_REMOVED";

export class ReplayError extends ReefError<ReplayErrorCode> {
  override name = "ReplayError";
}
