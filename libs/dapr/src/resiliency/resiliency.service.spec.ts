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

  describe('Resiliency YAML as Dapr reads it', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'res-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    // The "complete example policy" of Dapr's resiliency overview (docs.dapr.io/operations/resiliency).
    const docsExample = [
      'apiVersion: dapr.io/v1alpha1',
      'kind: Resiliency',
      'metadata:',
      '  name: myresiliency',
      'scopes:',
      '  - res-test',
      'spec:',
      '  policies:',
      '    timeouts:',
      '      general: 5s',
      '      important: 60s',
      '      largeResponse: 10s',
      '    retries:',
      '      pubsubRetry:',
      '        policy: constant',
      '        duration: 5s',
      '        maxRetries: 10',
      '      retryForever:',
      '        policy: exponential',
      '        maxInterval: 15s',
      '        maxRetries: -1',
      '      important:',
      '        policy: constant',
      '        duration: 5s',
      '        maxRetries: 30',
      '      someOperation:',
      '        policy: exponential',
      '        maxInterval: 15s',
      '      largeResponse:',
      '        policy: constant',
      '        duration: 5s',
      '        maxRetries: 3',
      '    circuitBreakers:',
      '      simpleCB:',
      '        maxRequests: 1',
      '        timeout: 30s',
      '        trip: consecutiveFailures >= 5',
      '      pubsubCB:',
      '        maxRequests: 1',
      '        interval: 8s',
      '        timeout: 45s',
      '        trip: consecutiveFailures > 8',
      '  targets:',
      '    apps:',
      '      appB:',
      '        timeout: general',
      '        retry: important',
      '        circuitBreaker: simpleCB',
      '    actors:',
      '      myActorType:',
      '        timeout: general',
      '        retry: important',
      '        circuitBreaker: simpleCB',
      '        circuitBreakerScope: both',
      '        circuitBreakerCacheSize: 5000',
      '    components:',
      '      statestore1:',
      '        outbound:',
      '          timeout: general',
      '          retry: retryForever',
      '          circuitBreaker: simpleCB',
      '      pubsub1:',
      '        outbound:',
      '          retry: pubsubRetry',
      '          circuitBreaker: pubsubCB',
      '        inbound:',
      '          timeout: general',
      '          retry: important',
      '          circuitBreaker: pubsubCB',
      '',
    ].join('\n');

    it("loads the docs' complete example with Dapr's defaults filled in", async () => {
      writeFileSync(join(dir, 'resiliency.yaml'), docsExample);
      const s = await serviceWith(undefined, dir);
      const model = (s as unknown as { model: import('./resiliency-spec').CompiledResiliency }).model;
      expect(model.timeouts.get('important')!.ms).toBe(60_000);
      expect(model.retries.get('retryForever')).toMatchObject({
        policy: 'exponential',
        maxRetries: -1,
        maxIntervalMs: 15_000,
        // dapr/kit retry.DefaultConfig (cenkalti/backoff defaults): the 15-minute cap applies.
        initialIntervalMs: 500,
        multiplier: 1.5,
        randomizationFactor: 0.5,
        maxElapsedMs: 15 * 60_000,
      });
      expect(model.retries.get('someOperation')!.maxRetries).toBe(-1);
      expect(model.circuitBreakers.get('pubsubCB')).toMatchObject({ maxRequests: 1, intervalMs: 8000, timeoutMs: 45_000 });
      expect(model.apps.get('appB')).toEqual({ timeout: 'general', retry: 'important', circuitBreaker: 'simpleCB' });
      expect(model.components.get('pubsub1')!.inbound).toEqual({ timeout: 'general', retry: 'important', circuitBreaker: 'pubsubCB' });
      expect(s.policyFor({ kind: 'component', name: 'statestore1', direction: 'outbound' })).toBeDefined();
    });

    it('reads bare integers as milliseconds and the policy name in any case', async () => {
      const s = await serviceWith({
        policies: {
          timeouts: { quick: '50', none: '0' },
          retries: { r: { policy: 'Exponential', duration: '250', maxInterval: 2000, initialInterval: '20', multiplier: '2', randomizationFactor: 0 } },
          circuitBreakers: { cb: { maxRequests: 0, interval: '100', timeout: '1500' } },
        },
      });
      const model = (s as unknown as { model: import('./resiliency-spec').CompiledResiliency }).model;
      expect(model.timeouts.get('quick')!.ms).toBe(50);
      expect(model.timeouts.get('none')!.ms).toBe(0);
      expect(model.retries.get('r')).toMatchObject({ policy: 'exponential', durationMs: 250, maxIntervalMs: 2000, initialIntervalMs: 20, multiplier: 2, randomizationFactor: 0 });
      expect(model.circuitBreakers.get('cb')).toMatchObject({ maxRequests: 1, intervalMs: 100, timeoutMs: 1500 });
    });

    it('a bad Resiliency file is logged and skipped; the others still apply', async () => {
      writeFileSync(
        join(dir, 'bad.yaml'),
        ['apiVersion: dapr.io/v1alpha1', 'kind: Resiliency', 'metadata:', '  name: broken', 'spec:', '  policies:', '    retries:', '      r1:', '        policy: constant', '        duration: five seconds', '  targets:', '    apps:', '      svc:', '        retry: r1'].join('\n'),
      );
      writeFileSync(
        join(dir, 'good.yaml'),
        ['apiVersion: dapr.io/v1alpha1', 'kind: Resiliency', 'metadata:', '  name: fine', 'spec:', '  policies:', '    retries:', '      r2:', '        duration: 1ms', '        maxRetries: 1', '  targets:', '    apps:', '      other:', '        retry: r2'].join('\n'),
      );
      const errors: string[] = [];
      const runtime = new ComponentRuntime({ appId: 'res-test', componentsPath: dir });
      const service = new ResiliencyService(runtime);
      (service as unknown as { logger: { error: (m: string) => void; warn: () => void; log: () => void } }).logger = {
        error: (m) => errors.push(m),
        warn: () => undefined,
        log: () => undefined,
      };
      await service.onModuleInit();
      expect(errors).toEqual([expect.stringMatching(/skipping Resiliency "broken": .*bad\.yaml:1: resiliency "broken": spec\.policies\.retries\.r1\.duration: "five seconds" is not a duration/)]);
      expect(service.policyFor({ kind: 'app', appId: 'svc' })).toBeUndefined();
      const flaky = new Flaky(1);
      await expect(service.policyFor({ kind: 'app', appId: 'other' })!.execute(flaky.run)).resolves.toBe('ok');
    });

    it('a target naming an undefined policy gets none of that kind (warned), as in Dapr', async () => {
      const s = await serviceWith({ policies: { timeouts: { t: '1s' } }, targets: { apps: { a: { timeout: 't', retry: 'missing' } } } });
      const model = (s as unknown as { model: import('./resiliency-spec').CompiledResiliency }).model;
      expect(model.apps.get('a')).toEqual({ timeout: 't' });
    });

    it('the inline option is code: its mistakes still fail start-up with the field', async () => {
      await expect(serviceWith({ policies: { circuitBreakers: { cb: { trip: 'consecutiveFailures >' } } } })).rejects.toThrow(
        /spec\.policies\.circuitBreakers\.cb\.trip/,
      );
      await expect(serviceWith({ policies: { circuitBreakers: { cb: { trip: 'bogus > 1' } } } })).rejects.toThrow(/circuitBreakers\.cb\.trip/);
      await expect(serviceWith({ policies: { retries: { r: { matching: { httpStatusCodes: '700' } } } } })).rejects.toThrow(
        /retries\.r\.matching\.httpStatusCodes/,
      );
      await expect(serviceWith({ policies: { retries: { r: { policy: 'linear' } } } })).rejects.toThrow(ResiliencyConfigError);
    });

    it('DaprBuiltInServiceRetries can be overridden, with at least 3 retries as in Dapr', async () => {
      const none = await serviceWith();
      expect(none.builtInRetry('DaprBuiltInServiceRetries')).toBeUndefined();
      const s = await serviceWith({ policies: { retries: { DaprBuiltInServiceRetries: { policy: 'constant', duration: '10ms', maxRetries: 1 } } } });
      expect(s.builtInRetry('DaprBuiltInServiceRetries')).toMatchObject({ durationMs: 10, maxRetries: 3 });
    });
  });

  it('exponential retries stop once maxElapsedTime would be passed (cenkalti/backoff semantics)', async () => {
    const s = await serviceWith({
      policies: { retries: { exp: { policy: 'exponential', initialInterval: '40ms', multiplier: 1, randomizationFactor: 0, maxElapsedTime: '100ms', maxRetries: -1 } } },
      targets: { apps: { slow: { retry: 'exp' } } },
    });
    const flaky = new Flaky(100);
    const started = Date.now();
    await expect(s.policyFor({ kind: 'app', appId: 'slow' })!.execute(flaky.run)).rejects.toThrow('boom');
    // 0 ms: try, wait 40; 40: try, wait 40; 80: try; 80 + 40 > 100 → stop after 3 attempts.
    expect(flaky.calls).toBe(3);
    expect(Date.now() - started).toBeLessThan(400);
  });
});
