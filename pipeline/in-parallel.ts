/**
 * `work` over `items`, at most `limit` at once, results in the items' order. For the state
 * operations of a burst of runs: each waits on a round trip (a DynamoDB call, a local file's
 * fsync), so a few hundred tables one after another cost seconds that overlap for free.
 */
export async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** State operations in flight at once for a burst of runs: DynamoDB takes far more; a local store's files are few at a time. */
export const STATE_PARALLELISM = 16;
