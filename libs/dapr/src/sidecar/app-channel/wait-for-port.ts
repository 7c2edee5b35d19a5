import { connect } from 'node:net';

/**
 * Resolves once something accepts TCP connections on host:port (daprd waits
 * for the app port the same way before it asks for subscriptions), or when
 * `signal` aborts. `onWait` is called once if the first attempt fails.
 */
export async function waitForPort(host: string, port: number, signal: AbortSignal, onWait?: () => void): Promise<void> {
  let waiting = false;
  while (!signal.aborted) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.setTimeout(1000, () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (open) return;
    if (!waiting) {
      waiting = true;
      onWait?.();
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 50);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
}
