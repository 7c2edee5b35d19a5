/**
 * Runs `fn` over `items` with at most `limit` calls in flight (all at once
 * when `limit` is missing, not positive or not smaller than the list) and
 * returns the results in input order. A rejection rejects the whole call, as
 * `Promise.all` does; callers that want per-item errors catch inside `fn`.
 * Dapr's bulk fallbacks (BulkGet, bulk publish) fan out this way.
 */
export async function mapLimit<I, O>(items: readonly I[], limit: number | undefined, fn: (item: I, i: number) => Promise<O>): Promise<O[]> {
  if (!limit || limit <= 0 || limit >= items.length) return Promise.all(items.map(fn));
  const out = new Array<O>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}
