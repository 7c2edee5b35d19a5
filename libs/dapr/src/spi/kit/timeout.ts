/**
 * Settles like `work`, or rejects with `onTimeout()` once `ms` have passed
 * first. The timer is cleared either way, so it never keeps the process alive.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** True once `work` settled (fulfilled or rejected) within `ms`, false when the time ran out first. Never rejects. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const done = Symbol('done');
  const settled = work.then(
    () => done,
    () => done,
  );
  try {
    return (await withTimeout(settled, ms, () => new Error('timeout'))) === done;
  } catch {
    return false;
  }
}
