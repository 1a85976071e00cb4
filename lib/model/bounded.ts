// The one bounded-concurrency loop (plans, converge passes, store reads): a few at a time, in order.

/**
 * Runs `fn` over `items`, at most `limit` at a time, in order of start. Once `signal` aborts, no
 * further item starts; resolves when the started ones ended.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal | undefined,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
