import { ETagMismatchError } from 'nest-dapr';

/**
 * Optimistic concurrency the Dapr way: read with its ETag, write with it, and
 * on ETagMismatchError (someone else wrote in between) read and try again.
 */
export async function withETagRetry<T>(attempt: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ETagMismatchError) || i >= attempts) throw err;
      // Spread competing writers out a little so they stop colliding.
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 5 * i)));
    }
  }
}
