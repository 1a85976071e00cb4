// The host executor's error codes (they show in a pipeline's status).
import { ReefError } from "../model";

export type HostErrorCode =
  "HOST_UNSUPPORTED" | "HOST_MEMORY_LIMIT" | "HOST_LOST" | "NO_HOST" | "STREAM_CRASHED";

export class HostError extends ReefError<HostErrorCode> {
  override name = "HostError";
}

/** The config needs what the built-in engine lacks: a host runs no Benthos binary. */
export class HostUnsupportedError extends HostError {
  override name = "HostUnsupportedError";
  constructor(message: string) {
    super("HOST_UNSUPPORTED", message);
  }
}

/** No live host accepts new streams (none runs, or all are above REEF_HOST_MAX_MEMORY). */
export class NoHostError extends HostError {
  override name = "NoHostError";
  constructor(message: string) {
    super("NO_HOST", message);
  }
}
