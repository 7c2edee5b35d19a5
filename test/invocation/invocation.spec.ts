import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AppNotFoundError, InvocationError, InvocationService } from 'nest-dapr';
import { CheckoutClient, CheckoutController } from './checkout.fixture';
import { API_TOKEN, sqliteResolution, startApp, type RunningApp } from './invocation-harness';

describe('service invocation between two Nest apps (sqlite name resolution)', () => {
  const nr = sqliteResolution();
  let checkout: RunningApp;
  let order: RunningApp;
  let client: CheckoutClient;
  let invoker: InvocationService;

  beforeAll(async () => {
    checkout = await startApp({ appId: 'checkout', apiToken: API_TOKEN, nameResolution: nr.options }, { controllers: [CheckoutController] });
    order = await startApp({ appId: 'order', apiToken: API_TOKEN, nameResolution: nr.options }, { providers: [CheckoutClient] });
    client = order.app.get(CheckoutClient);
    invoker = order.app.get(InvocationService);
  });

  afterAll(async () => {
    await order?.close();
    await checkout?.close();
    nr.cleanup();
  });

  it('round-trips a typed client call with path, query, body and headers', async () => {
    await expect(client.stock('sku 1/a', 'north')).resolves.toMatchObject({
      sku: 'sku 1/a',
      warehouse: 'north',
      caller: 'order',
      callee: 'checkout',
    });
    await expect(client.order({ items: ['a', 'b', 'c'] }, 'req-42')).resolves.toEqual({ accepted: 3, requestId: 'req-42' });
  });

  it('defaults to GET without a body and POST with one', async () => {
    await expect(invoker.invoke('checkout', 'stock/x')).resolves.toMatchObject({ sku: 'x' });
    await expect(invoker.invoke('checkout', 'orders', { body: { items: ['z'] } })).resolves.toMatchObject({ accepted: 1 });
  });

  it('decodes responses by content type', async () => {
    await expect(invoker.invoke('checkout', 'text')).resolves.toBe('plain words');
    const bytes = await invoker.invoke<Buffer>('checkout', 'bytes');
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect([...bytes]).toEqual([0, 1, 2, 255]);
  });

  it('throws InvocationError with status, parsed body, headers, app id and method on non-2xx', async () => {
    const err = await client.missing('42').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvocationError);
    const e = err as InvocationError;
    expect(e.status).toBe(404);
    expect(e.body).toEqual({ reason: 'no 42' });
    expect(e.headers['x-reason']).toBe('gone');
    expect(e.appId).toBe('checkout');
    expect(e.method).toBe('missing/42');
  });

  it('turns invalid JSON under a JSON content type into InvocationError carrying the raw body', async () => {
    const err = (await invoker.invoke('checkout', 'bad-json').catch((e: unknown) => e)) as InvocationError;
    expect(err).toBeInstanceOf(InvocationError);
    expect(err.body).toBe('{"not": json');
    expect(err.status).toBe(200);
  });

  it('rejects an unknown app id with a typed error naming the resolver and the id', async () => {
    const err = await invoker.invoke('nobody-home', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppNotFoundError);
    expect((err as Error).message).toMatch(/nobody-home/);
    expect((err as Error).message).toMatch(/nameresolution\.sqlite/);
  });

  it('carries the caller trace context as traceparent/tracestate', async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
      const stock = await context.with(parent, () => client.stock('traced'));
      expect(stock.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    } finally {
      context.disable();
    }
  });
});
