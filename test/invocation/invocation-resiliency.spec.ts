import { CircuitBreakerOpenError, InvocationError, InvocationService, InvocationTransportError } from 'nest-dapr';
import { NameResolutionService } from '../../libs/dapr/src/invocation/name-resolution.service';
import { CheckoutController } from './checkout.fixture';
import { API_TOKEN, startApp, type RunningApp } from './invocation-harness';

/** Resiliency wrapped around invocation: user policies from the spec, and the built-in default. */
describe('invocation under resiliency policies', () => {
  let checkout: RunningApp;
  let controller: CheckoutController;
  let cbController: CheckoutController;
  let withPolicy: InvocationService;
  let withDefault: InvocationService;
  let withBuiltInOverride: InvocationService;
  let defaultNames: NameResolutionService;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    checkout = await startApp({ appId: 'checkout', apiToken: API_TOKEN, nameResolution: { component: 'static' } }, { controllers: [CheckoutController] });
    controller = checkout.app.get(CheckoutController);
    // A second app id on its own server, so its breaker state is separate from checkout's retries.
    const checkoutCb = await startApp({ appId: 'checkout-cb', apiToken: API_TOKEN, nameResolution: { component: 'static' } }, { controllers: [CheckoutController] });
    apps.push(checkoutCb);
    cbController = checkoutCb.app.get(CheckoutController);
    const routes = { checkout: checkout.url, 'checkout-cb': checkoutCb.url, nowhere: 'http://127.0.0.1:1' };
    const policyApp = await startApp({
      appId: 'order',
      apiToken: API_TOKEN,
      nameResolution: { component: 'static', configuration: { apps: routes } },
      resiliency: {
        policies: {
          retries: { quick: { policy: 'constant', duration: '10ms', maxRetries: 3 } },
          circuitBreakers: { cb: { maxRequests: 1, timeout: '300ms', trip: 'consecutiveFailures >= 2' } },
        },
        targets: { apps: { checkout: { retry: 'quick' }, 'checkout-cb': { circuitBreaker: 'cb' } } },
      },
    });
    const defaultApp = await startApp({
      appId: 'order-default',
      apiToken: API_TOKEN,
      nameResolution: { component: 'static', configuration: { apps: routes } },
    });
    // Dapr's built-in service retries overridden by name: 5 constant retries, 5 ms apart.
    const builtInApp = await startApp({
      appId: 'order-builtin',
      apiToken: API_TOKEN,
      nameResolution: { component: 'static', configuration: { apps: routes } },
      resiliency: { policies: { retries: { DaprBuiltInServiceRetries: { policy: 'constant', duration: '5', maxRetries: 5 } } } },
    });
    withBuiltInOverride = builtInApp.app.get(InvocationService);
    apps.push(policyApp, defaultApp, builtInApp);
    withPolicy = policyApp.app.get(InvocationService);
    withDefault = defaultApp.app.get(InvocationService);
    defaultNames = defaultApp.app.get(NameResolutionService);
  });

  afterAll(async () => {
    for (const a of apps) await a.close();
    await checkout?.close();
  });

  beforeEach(() => {
    controller.hits = {};
    controller.failuresLeft = 0;
    controller.healthy = true;
  });

  it("recovers from a flaky target with the app's retry policy", async () => {
    controller.failuresLeft = 2;
    await expect(withPolicy.invoke('checkout', 'flaky', { body: {} })).resolves.toEqual({ ok: true });
    expect(controller.hits.flaky).toBe(3);
  });

  it('gives up after maxRetries with the last InvocationError', async () => {
    controller.failuresLeft = 10;
    const err = (await withPolicy.invoke('checkout', 'flaky', { body: {} }).catch((e: unknown) => e)) as InvocationError;
    expect(err).toBeInstanceOf(InvocationError);
    expect(err.status).toBe(503);
    expect(controller.hits.flaky).toBe(4);
  });

  it('opens the circuit breaker after the trip rule and half-opens after its timeout', async () => {
    const controller = cbController;
    controller.healthy = false;
    for (let i = 0; i < 2; i++) {
      await expect(withPolicy.invoke('checkout-cb', 'breaker')).rejects.toBeInstanceOf(InvocationError);
    }
    expect(controller.hits.breaker).toBe(2);
    await expect(withPolicy.invoke('checkout-cb', 'breaker')).rejects.toBeInstanceOf(CircuitBreakerOpenError);
    expect(controller.hits.breaker).toBe(2); // open: the target was not called
    controller.healthy = true;
    await new Promise((r) => setTimeout(r, 350));
    await expect(withPolicy.invoke('checkout-cb', 'breaker')).resolves.toEqual({ ok: true });
    await expect(withPolicy.invoke('checkout-cb', 'breaker')).resolves.toEqual({ ok: true });
    expect(controller.hits.breaker).toBe(4);
  });

  describe('built-in default (no policy for the app)', () => {
    it('retries a POST on 503', async () => {
      controller.failuresLeft = 1;
      await expect(withDefault.invoke('checkout', 'flaky', { body: {} })).resolves.toEqual({ ok: true });
      expect(controller.hits.flaky).toBe(2);
    });

    it('takes its count and back-off from a DaprBuiltInServiceRetries policy when the Resiliency defines one', async () => {
      controller.failuresLeft = 5;
      await expect(withBuiltInOverride.invoke('checkout', 'flaky', { body: {} })).resolves.toEqual({ ok: true });
      expect(controller.hits.flaky).toBe(6); // the built-in default would give up after 4 calls
      // Which failures are safe to retry is still the built-in rule: a 500 is not repeated.
      await expect(withBuiltInOverride.invoke('checkout', 'broken', { body: {} })).rejects.toMatchObject({ status: 500 });
      expect(controller.hits.broken).toBe(1);
    });

    it('never repeats a POST that failed with 500', async () => {
      await expect(withDefault.invoke('checkout', 'broken', { body: {} })).rejects.toMatchObject({ status: 500 });
      expect(controller.hits.broken).toBe(1);
    });

    it('never repeats a POST that timed out', async () => {
      const err = await withDefault.invoke('checkout', 'slow', { body: {}, timeoutMs: 100 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvocationTransportError);
      expect((err as InvocationTransportError).code).toBe('ETIMEDOUT');
      await new Promise((r) => setTimeout(r, 300));
      expect(controller.hits.slow).toBe(1);
    });

    it('retries a refused connection, then reports it as a transport error', async () => {
      // Every attempt resolves the app id afresh, so resolutions count attempts.
      const resolve = jest.spyOn(defaultNames, 'lookup');
      try {
        const err = await withDefault.invoke('nowhere', 'x', { body: { once: true } }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvocationTransportError);
        expect((err as InvocationTransportError).code).toBe('ECONNREFUSED');
        expect(resolve).toHaveBeenCalledTimes(4);
      } finally {
        resolve.mockRestore();
      }
    });
  });
});
