import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComponentRuntime } from '../runtime/component-runtime';
import type { ResiliencySpec } from '../runtime/dapr-module-options.interface';
import { CircuitBreakerOpenError, ResiliencyConfigError, ResiliencyTimeoutError } from '../errors/resiliency.errors';
import { ResiliencyService } from './resiliency.service';

async function serviceWith(resiliency?: ResiliencySpec, componentsPath?: string): Promise<ResiliencyService> {
  const runtime = new ComponentRuntime({ appId: 'res-test', resiliency, componentsPath });
  const service = new ResiliencyService(runtime);
  await service.onModuleInit();
  return service;
}

class Flaky {
  calls = 0;
  constructor(private readonly failures: number, private readonly error: () => Error = () => new Error('boom')) {}
  run = async (): Promise<string> => {
    this.calls++;
    if (this.calls <= this.failures) throw this.error();
    return 'ok';
  };
}

describe('ResiliencyService', () => {
  it('returns undefined when no policy or default applies', async () => {
    const s = await serviceWith();
    expect(s.policyFor({ kind: 'app', appId: 'x' })).toBeUndefined();
    expect(s.policyFor({ kind: 'component', name: 'c', direction: 'outbound' })).toBeUndefined();
    await expect(s.policyOrDefault({ kind: 'app', appId: 'x' }).execute(async () => 7)).resolves.toBe(7);
  });

  it('retries a constant policy up to maxRetries then rethrows the last error', async () => {
    const s = await serviceWith({
      policies: { retries: { quick: { policy: 'constant', duration: '5ms', maxRetries: 2 } } },
      targets: { apps: { checkout: { retry: 'quick' } } },
    });
    const policy = s.policyFor({ kind: 'app', appId: 'checkout' })!;
    const ok = new Flaky(2);
    await expect(policy.execute(ok.run)).resolves.toBe('ok');
    expect(ok.calls).toBe(3);
    const bad = new Flaky(5);
    await expect(policy.execute(bad.run)).rejects.toThrow('boom');
    expect(bad.calls).toBe(3);
  });

  it('retries only matching HTTP status codes and never non-retriable errors', async () => {
    const s = await serviceWith({
      policies: { retries: { r: { duration: '1ms', maxRetries: 3, matching: { httpStatusCodes: '429,500-599' } } } },
      targets: { components: { store: { outbound: { retry: 'r' } } } },
    });
    const policy = s.policyFor({ kind: 'component', name: 'store', direction: 'outbound' })!;
    const withStatus = (status: number) => () => Object.assign(new Error(`status ${status}`), { status });
    const notFound = new Flaky(1, withStatus(404));
    await expect(policy.execute(notFound.run)).rejects.toThrow('status 404');
    expect(notFound.calls).toBe(1);
    const unavailable = new Flaky(2, withStatus(503));
    await expect(policy.execute(unavailable.run)).resolves.toBe('ok');
    expect(unavailable.calls).toBe(3);
    const etag = new Flaky(1, () => Object.assign(new Error('etag'), { nonRetriable: true }));
    await expect(policy.execute(etag.run)).rejects.toThrow('etag');
    expect(etag.calls).toBe(1);
  });

  it('times out an attempt with a typed error and aborts its signal', async () => {
    const s = await serviceWith({
      policies: { timeouts: { fast: '30ms' } },
      targets: { apps: { slow: { timeout: 'fast' } } },
    });
    let aborted = false;
    const err = await s
      .policyFor({ kind: 'app', appId: 'slow' })!
      .execute(
        (signal) =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => (aborted = true));
            setTimeout(resolve, 300);
          }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResiliencyTimeoutError);
    expect(aborted).toBe(true);
  });

  it('opens the circuit breaker on its CEL trip rule and half-opens after its timeout', async () => {
    const s = await serviceWith({
      policies: { circuitBreakers: { cb: { maxRequests: 1, timeout: '150ms', trip: 'consecutiveFailures >= 3' } } },
      targets: { apps: { shaky: { circuitBreaker: 'cb' } } },
    });
    const policy = s.policyFor({ kind: 'app', appId: 'shaky' })!;
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('down');
    };
    for (let i = 0; i < 3; i++) await expect(policy.execute(failing)).rejects.toThrow('down');
    await expect(policy.execute(failing)).rejects.toBeInstanceOf(CircuitBreakerOpenError);
    expect(calls).toBe(3);
    // Same target, same breaker: the cached policy shares state.
    await expect(s.policyFor({ kind: 'app', appId: 'shaky' })!.execute(async () => 'x')).rejects.toBeInstanceOf(
      CircuitBreakerOpenError,
    );
    await new Promise((r) => setTimeout(r, 200));
    await expect(policy.execute(async () => 'probe')).resolves.toBe('probe');
    await expect(policy.execute(async () => 'closed')).resolves.toBe('closed');
  });

  it('with maxRequests > 1 closes only after that many half-open successes; a failure before re-opens at once', async () => {
    const s = await serviceWith({
      policies: { circuitBreakers: { cb: { maxRequests: 3, timeout: '100ms', trip: 'consecutiveFailures >= 5' } } },
      targets: { apps: { shaky: { circuitBreaker: 'cb' } } },
    });
    const policy = s.policyFor({ kind: 'app', appId: 'shaky' })!;
    const fail = async () => {
      throw new Error('down');
    };
    const ok = async () => 'ok';
    const open = async () => {
      for (let i = 0; i < 5; i++) await expect(policy.execute(fail)).rejects.toThrow('down');
      await expect(policy.execute(ok)).rejects.toBeInstanceOf(CircuitBreakerOpenError);
      await new Promise((r) => setTimeout(r, 150));
    };
    await open();
    // Two half-open successes of the three owed, then a failure: open again without five new failures.
    await expect(policy.execute(ok)).resolves.toBe('ok');
    await expect(policy.execute(ok)).resolves.toBe('ok');
    await expect(policy.execute(fail)).rejects.toThrow('down');
    await expect(policy.execute(ok)).rejects.toBeInstanceOf(CircuitBreakerOpenError);
    await new Promise((r) => setTimeout(r, 150));
    // Three successes close it for good: the trip rule needs five consecutive failures again.
    for (let i = 0; i < 3; i++) await expect(policy.execute(ok)).resolves.toBe('ok');
    for (let i = 0; i < 4; i++) await expect(policy.execute(fail)).rejects.toThrow('down');
    await expect(policy.execute(ok)).resolves.toBe('ok');
  });

  it('falls back to Dapr default policies by target kind and direction', async () => {
    const s = await serviceWith({
      policies: {
        retries: {
          DefaultAppRetryPolicy: { duration: '1ms', maxRetries: 1 },
          DefaultComponentInboundRetryPolicy: { duration: '1ms', maxRetries: 4 },
        },
      },
    });
    const app = new Flaky(10);
    await expect(s.policyFor({ kind: 'app', appId: 'any' })!.execute(app.run)).rejects.toThrow();
    expect(app.calls).toBe(2);
    const inbound = new Flaky(10);
    await expect(s.policyFor({ kind: 'component', name: 'q', direction: 'inbound' })!.execute(inbound.run)).rejects.toThrow();
    expect(inbound.calls).toBe(5);
    expect(s.policyFor({ kind: 'component', name: 'q', direction: 'outbound' })).toBeUndefined();
  });

  describe('malformed specs fail start-up naming the file and the field', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'res-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('a bad duration in a YAML file', async () => {
      writeFileSync(
        join(dir, 'resiliency.yaml'),
        [
          'apiVersion: dapr.io/v1alpha1',
          'kind: Resiliency',
          'metadata:',
          '  name: myresiliency',
          'spec:',
          '  policies:',
          '    retries:',
          '      r1:',
          '        policy: constant',
          '        duration: five seconds',
        ].join('\n'),
      );
      const err = await serviceWith(undefined, dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResiliencyConfigError);
      expect((err as Error).message).toContain('resiliency.yaml');
      expect((err as Error).message).toContain('spec.policies.retries.r1.duration');
    });

    it('an invalid trip expression, bad status codes and unknown policy references', async () => {
      await expect(
        serviceWith({ policies: { circuitBreakers: { cb: { trip: 'consecutiveFailures >' } } } }),
      ).rejects.toThrow(/spec\.policies\.circuitBreakers\.cb\.trip/);
      await expect(
        serviceWith({ policies: { circuitBreakers: { cb: { trip: 'bogus > 1' } } } }),
      ).rejects.toThrow(/circuitBreakers\.cb\.trip/);
      await expect(
        serviceWith({ policies: { retries: { r: { matching: { httpStatusCodes: '700' } } } } }),
      ).rejects.toThrow(/retries\.r\.matching\.httpStatusCodes/);
      await expect(serviceWith({ targets: { apps: { a: { retry: 'missing' } } } })).rejects.toThrow(
        /spec\.targets\.apps\.a.*"missing"/,
      );
    });
  });
});
