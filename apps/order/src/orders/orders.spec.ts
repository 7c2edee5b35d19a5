import type { Server } from 'node:http';
import { ETagMismatchError, StateService } from 'nest-dapr';
import { DaprTestingModule, StubResponse, type DaprTestHarness } from 'nest-dapr/testing';
import type { OrderCreatedEvent } from '../../../common/events';
import { AppModule } from '../app.module';
import type { Order } from './order.model';

/** Small HTTP client over the Nest server (no supertest in this repo). */
async function http(server: Server, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const prices: Record<string, number> = { coffee: 4.5, mug: 12 };

describe('order app on DaprTestingModule', () => {
  let dapr: DaprTestHarness;
  let server: Server;

  beforeEach(async () => {
    dapr = await DaprTestingModule.create(AppModule, {
      apps: {
        checkout: {
          'GET stock/:sku': ({ params }) => {
            if (!(params.sku in prices)) throw new StubResponse(404, { message: 'unknown sku' });
            return { sku: params.sku, available: 10, price: prices[params.sku] };
          },
          'POST checkout': ({ body }) => ({ status: 'paid', orderId: (body as OrderCreatedEvent).orderId, total: 9 }),
        },
      },
    });
    server = dapr.app.getHttpServer() as Server;
  });

  afterEach(() => dapr.close());

  it('stores a pending order, quotes it through checkout and publishes order.created', async () => {
    const res = await http(server, 'POST', '/orders', { customer: 'ada', items: [{ sku: 'coffee', quantity: 2 }, { sku: 'mug', quantity: 1 }] });
    expect(res.status).toBe(201);
    const order = res.body as Order;
    expect(order).toMatchObject({ customer: 'ada', status: 'pending', quotedTotal: 21 });

    expect(dapr.invocations('checkout').map((c) => `${c.httpMethod} ${c.method}`)).toEqual(['GET stock/coffee', 'GET stock/mug']);
    await dapr.settle();
    const [created] = dapr.published<OrderCreatedEvent>('order.created');
    expect(created.data).toEqual({ orderId: order.id, customer: 'ada', items: order.items });
    expect(created.event).toMatchObject({ type: 'com.example.order.created', subject: order.id, source: 'order', pubsubname: 'pubsub' });

    expect(created.event!.id).toMatch(/^outbox-/);
    expect((await http(server, 'GET', `/orders/${order.id}`)).body).toMatchObject({ id: order.id, status: 'pending' });
  });

  it('answers 400 with the validation messages for an invalid body', async () => {
    const res = await http(server, 'POST', '/orders', { customer: '', items: [{ sku: 'Bad SKU', quantity: 0 }] });
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual(
      expect.arrayContaining([
        'customer should not be empty',
        'items.0.sku must be 1-40 lower-case letters, digits or dashes',
        'items.0.quantity must not be less than 1',
      ]),
    );
    expect(dapr.published('order.created')).toHaveLength(0);
  });

  it('answers 422 for a SKU checkout does not know (invocation 404)', async () => {
    const res = await http(server, 'POST', '/orders', { customer: 'ada', items: [{ sku: 'teapot', quantity: 1 }] });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('unknown sku "teapot"');
  });

  it('records order.paid and order.rejected, once each, whatever the redeliveries', async () => {
    const a = (await http(server, 'POST', '/orders', { customer: 'a', items: [{ sku: 'coffee', quantity: 1 }] })).body as Order;
    const b = (await http(server, 'POST', '/orders', { customer: 'b', items: [{ sku: 'mug', quantity: 1 }] })).body as Order;
    await dapr.publish('pubsub', 'order.paid', { orderId: a.id, total: 4.5 });
    await dapr.publish('pubsub', 'order.paid', { orderId: a.id, total: 4.5 });
    await dapr.publish('pubsub', 'order.rejected', { orderId: b.id, reason: 'out of stock: mug' });
    await dapr.settle();

    const paid = (await http(server, 'GET', `/orders/${a.id}`)).body as Order;
    expect(paid).toMatchObject({ status: 'paid', total: 4.5 });
    expect(paid.history.map((h) => h.event)).toEqual(['created', 'order.paid']);
    expect((await http(server, 'GET', `/orders/${b.id}`)).body).toMatchObject({ status: 'rejected', reason: 'out of stock: mug' });
  });

  it('checks an order out synchronously through the checkout client', async () => {
    const a = (await http(server, 'POST', '/orders', { customer: 'a', items: [{ sku: 'coffee', quantity: 2 }] })).body as Order;
    const res = await http(server, 'POST', `/orders/${a.id}/checkout`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: a.id, status: 'paid', total: 9 });
    expect(dapr.invocations('checkout').at(-1)).toMatchObject({ httpMethod: 'POST', method: 'checkout', body: { orderId: a.id } });
  });

  it('a failed order transaction publishes nothing (the outbox publishes only what commits)', async () => {
    const a = (await http(server, 'POST', '/orders', { customer: 'a', items: [{ sku: 'coffee', quantity: 1 }] })).body as Order;
    await dapr.settle();
    dapr.clearPublished();
    const stale = (await dapr.getStateItem<Order>('orders', a.id))!;
    await dapr.seed('orders', { [a.id]: { ...stale.value, customer: 'changed' } });
    await expect(
      dapr.get(StateService).transaction('orders', [{ operation: 'upsert', request: { key: a.id, value: stale.value, etag: stale.etag } }]),
    ).rejects.toBeInstanceOf(ETagMismatchError);
    await dapr.settle();
    expect(dapr.published('order.created')).toEqual([]);
  });
});
