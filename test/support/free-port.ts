import { createServer } from 'node:net';

// Every port handed out in this process (Jest: in this test file). Once a listen(0) probe has
// closed, the kernel may give the same port to the next probe, so a test that picks an app port
// and then starts a sidecar that picks its own could see both bind one port (EADDRINUSE).
const handedOut = new Set<number>();

function probe(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A loopback port that is free now and that no other caller in this process has been given. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await probe();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: every probe returned a port this process already handed out');
}

/** `n` distinct free ports (see `freePort`). */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  return ports;
}
