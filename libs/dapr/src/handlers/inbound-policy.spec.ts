import { builtinInboundPolicy, BUILTIN_INBOUND_RETRIES } from './inbound-policy';

describe('built-in inbound policy', () => {
  it('retries a failing delivery 3 times with growing delays, then gives up with the last error', async () => {
    let calls = 0;
    const started = Date.now();
    await expect(
      builtinInboundPolicy().execute(async () => {
        calls++;
        throw new Error(`fail ${calls}`);
      }),
    ).rejects.toThrow(`fail ${BUILTIN_INBOUND_RETRIES + 1}`);
    expect(calls).toBe(BUILTIN_INBOUND_RETRIES + 1);
    // 100 + 200 + 400 ms of backoff.
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
  });

  it('returns the first success and never retries non-retriable errors', async () => {
    let calls = 0;
    await expect(builtinInboundPolicy().execute(async () => (++calls < 2 ? Promise.reject(new Error('x')) : 'ok'))).resolves.toBe('ok');
    expect(calls).toBe(2);
    calls = 0;
    const permanent = Object.assign(new Error('etag'), { nonRetriable: true });
    await expect(
      builtinInboundPolicy().execute(async () => {
        calls++;
        throw permanent;
      }),
    ).rejects.toBe(permanent);
    expect(calls).toBe(1);
  });
});
