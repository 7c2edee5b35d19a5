import type { Server } from 'node:http';
import { DaprTestingModule, type DaprTestHarness } from 'nest-dapr/testing';
import { randomUUID } from 'node:crypto';
import type { OrderPaidEvent, OrderRejectedEvent, StockLevel } from '../../../common/events';
import { AppModule } from '../app.module';
import { StockService } from './stock.service';

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

const order = (items: { sku: string; quantity: number }[]) => ({ orderId: randomUUID(), customer: 'ada', items });

describe('checkout app on DaprTestingModule', () => {
  let dapr: DaprTestHarness;
  let server: Server;

  beforeEach(async () => {
    process.env.CHECKOUT_CATALOG = JSON.stringify([
      { sku: 'coffee', available: 5, price: 4.5 },
      { sku: 'grinder', available: 1, price: 89 },
    ] satisfies StockLevel[]);
    dapr = await DaprTestingModule.create(AppModule);
    server = dapr.app.getHttpServer() as Server;
  });

  afterEach(async () => {
    delete process.env.CHECKOUT_CATALOG;
    await dapr.close();
  });

  it('reserves stock for order.created and publishes order.paid', async () => {
    const o = order([{ sku: 'coffee', quantity: 2 }, { sku: 'grinder', quantity: 1 }]);
    await dapr.publish('pubsub', 'order.created', o);
    await dapr.settle();
    expect(dapr.publishedData<OrderPaidEvent>('order.paid')).toEqual([{ orderId: o.orderId, total: 98 }]);
    expect((await http(server, 'GET', '/stock/coffee')).body).toEqual({ sku: 'coffee', available: 3, price: 4.5 });
    expect((await http(server, 'GET', '/stock/grinder')).body).toMatchObject({ available: 0 });
  });

  it('rejects an order that runs out of stock and reserves none of its lines', async () => {
    const first = order([{ sku: 'grinder', quantity: 1 }]);
    const second = order([{ sku: 'coffee', quantity: 1 }, { sku: 'grinder', quantity: 1 }]);
    await dapr.publish('pubsub', 'order.created', first);
    await dapr.settle();
    await dapr.publish('pubsub', 'order.created', second);
    await dapr.settle();
    expect(dapr.publishedData<OrderRejectedEvent>('order.rejected')).toEqual([
      { orderId: second.orderId, reason: 'out of stock: grinder (wanted 1, 0 left)' },
    ]);
    expect((await http(server, 'GET', '/stock/coffee')).body).toMatchObject({ available: 5 });
  });

  it('sends an invalid order.created to the dead-letter topic without retrying it', async () => {
    await dapr.publish('pubsub', 'order.created', { orderId: 'not-a-uuid', items: [] });
    await dapr.settle();
    expect(dapr.publishedData('order.created.dead')).toEqual([{ orderId: 'not-a-uuid', items: [] }]);
    expect(dapr.published('order.paid')).toHaveLength(0);
    expect(dapr.published('order.rejected')).toHaveLength(0);
    // Dapr forwards the original CloudEvent, so it still names the topic it was published to.
    const letters = (await http(server, 'GET', '/dead-letters')).body as { topic: string; data: unknown }[];
    expect(letters).toEqual([expect.objectContaining({ topic: 'order.created', data: { orderId: 'not-a-uuid', items: [] } })]);
  });

  it('is idempotent per order: a redelivered event reserves nothing twice', async () => {
    const o = order([{ sku: 'coffee', quantity: 2 }]);
    await dapr.publish('pubsub', 'order.created', o);
    await dapr.publish('pubsub', 'order.created', o);
    await dapr.settle();
    expect((await http(server, 'GET', '/stock/coffee')).body).toMatchObject({ available: 3 });
    expect(dapr.publishedData('order.paid')).toEqual([
      { orderId: o.orderId, total: 9 },
      { orderId: o.orderId, total: 9 },
    ]);
  });

  it('never oversells under concurrent checkouts (ETag concurrency)', async () => {
    const orders = Array.from({ length: 8 }, () => order([{ sku: 'coffee', quantity: 1 }]));
    const stock = dapr.get(StockService);
    const outcomes = await Promise.all(orders.map((o) => stock.checkout(o)));
    expect(outcomes.filter((o) => o.status === 'paid')).toHaveLength(5);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(3);
    expect(await stock.stock('coffee')).toMatchObject({ available: 0 });
  });

  it('serves POST /checkout and GET /stock/:sku for invocation, validating the body', async () => {
    const o = order([{ sku: 'coffee', quantity: 1 }]);
    expect((await http(server, 'POST', '/checkout', o)).body).toEqual({ status: 'paid', orderId: o.orderId, total: 4.5 });
    expect((await http(server, 'POST', '/checkout', { orderId: 'x' })).status).toBe(400);
    expect((await http(server, 'GET', '/stock/teapot')).status).toBe(404);
  });
});
