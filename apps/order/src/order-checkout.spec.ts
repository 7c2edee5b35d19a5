import type { Server } from 'node:http';
import { DaprTestingModule, StubResponse, type DaprTestHarness, type StubRequest } from 'nest-dapr/testing';
import { AppModule as CheckoutModule } from '../../checkout/src/app.module';
import { AppModule as OrderModule } from './app.module';
import type { Order } from './orders/order.model';

async function listen(server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** Forwards an invocation to the other app's real HTTP routes, as the network would. */
function forwardTo(base: () => Promise<string>) {
  return async (req: StubRequest) => {
    const query = new URLSearchParams(req.query).toString();
    const res = await fetch(`${await base()}/${req.method}${query ? `?${query}` : ''}`, {
      method: req.httpMethod,
      headers: req.body === undefined ? {} : { 'content-type': 'application/json' },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    });
    const body = (await res.json()) as unknown;
    if (!res.ok) throw new StubResponse(res.status, body);
    return body;
  };
}

/**
 * Both sample apps in one Jest process on one in-memory bus (`sharedBus`):
 * the whole order → checkout → order flow, no broker and no second process.
 */
describe('order + checkout together on DaprTestingModule', () => {
  let order: DaprTestHarness;
  let checkout: DaprTestHarness;
  const bus = `order-checkout-${process.pid}-${Date.now()}`;

  beforeEach(async () => {
    process.env.CHECKOUT_CATALOG = JSON.stringify([{ sku: 'grinder', available: 1, price: 89 }]);
    checkout = await DaprTestingModule.create(CheckoutModule, { sharedBus: bus });
    const checkoutUrl = () => listen(checkout.app.getHttpServer() as Server);
    order = await DaprTestingModule.create(OrderModule, { sharedBus: bus, apps: { checkout: forwardTo(checkoutUrl) } });
  });

  afterEach(async () => {
    delete process.env.CHECKOUT_CATALOG;
    await order?.close();
    await checkout?.close();
  });

  const published = (h: DaprTestHarness) => h.topics().reduce((n, t) => n + h.published(t).length, 0);

  /** Settles both apps until neither publishes anything new. */
  async function settleBoth(): Promise<void> {
    for (let quiet = 0, last = -1; quiet < 2; ) {
      await order.settle();
      await checkout.settle();
      const now = published(order) + published(checkout);
      quiet = now === last ? quiet + 1 : 0;
      last = now;
    }
  }

  it('sells the last grinder once and rejects the next order', async () => {
    const base = await listen(order.app.getHttpServer() as Server);
    const place = async () => {
      const res = await fetch(`${base}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customer: 'ada', items: [{ sku: 'grinder', quantity: 1 }] }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as Order;
    };
    const first = await place();
    await settleBoth();
    const second = await place();
    await settleBoth();

    expect(await order.getState<Order>('orders', first.id)).toMatchObject({ status: 'paid', total: 89 });
    expect(await order.getState<Order>('orders', second.id)).toMatchObject({ status: 'rejected', reason: 'out of stock: grinder (wanted 1, 0 left)' });
    expect(checkout.publishedData('order.paid')).toEqual([{ orderId: first.id, total: 89 }]);
    expect(order.invocations('checkout').map((c) => `${c.httpMethod} ${c.method}`)).toEqual(['GET stock/grinder', 'GET stock/grinder']);
  });
});
