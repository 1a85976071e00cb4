// Bounded retries for AWS calls: throttling and transient faults back off exponentially (with
// jitter) up to a cap; everything else fails at once so converge can report it.

export interface RetryOptions {
  /** Total attempts, the first included. */
  attempts: number;
  baseMs: number;
  capMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryOptions = {
  attempts: 5,
  baseMs: 200,
  capMs: 3_000,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
]);
const TRANSIENT = new Set([
  "ServerException",
  "TimeoutError",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ECONNREFUSED",
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export function isRetryable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as AwsLikeError;
  const name = e.name ?? "";
  if (THROTTLING.has(name) || TRANSIENT.has(name) || (e.code && TRANSIENT.has(e.code))) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  return status === 429 || (status !== undefined && status >= 500);
}

export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= opts.attempts || !isRetryable(err)) throw err;
      const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** (attempt - 1));
      await opts.sleep(ceiling / 2 + Math.random() * (ceiling / 2));
    }
  }
}
