// The store's errors, and how JetStream's answers are recognised: by the API error's code (the
// server's `err_code`), never by the wording of its message.
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { ReefError } from "../model";

/** A compare-and-set lost: the key was no longer at the revision the write was conditioned on. */
export class RevisionConflictError extends ReefError<"REVISION_CONFLICT"> {
  override name = "RevisionConflictError";
  constructor(
    readonly key: string,
    /** The revision the write expected (0: that the key did not exist). */
    readonly expectedRevision: number,
    options?: { cause?: unknown },
  ) {
    super(
      "REVISION_CONFLICT",
      expectedRevision === 0
        ? `${key} already exists`
        : `${key} is no longer at revision ${expectedRevision}: another writer changed it`,
      { key, expectedRevision },
    );
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The server refused a write conditioned on the last sequence (10071, or 10164 when it is unknown). */
export function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** Runs a conditioned write; a lost compare-and-set becomes a RevisionConflictError. */
export async function conditioned<T>(key: string, expected: number, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isWrongLastSequence(err)) throw new RevisionConflictError(key, expected, { cause: err });
    throw err;
  }
}

export function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

export function isConsumerNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound;
}

export function isNoMessageFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.NoMessageFound;
}
