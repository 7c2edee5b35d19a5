import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DaprModule, ETagMismatchError, PubSubService, StateService, Subscribe, type CloudEvent } from 'nest-dapr';
import { DaprTestingModule } from 'nest-dapr/testing';
import { ComponentRuntime } from '../../runtime/component-runtime';
import type { PubSubDriver, StateStoreDriver } from 'nest-dapr/spi';
import { OutboxPublishError } from 'nest-dapr';
import { ComponentConfigError } from '../../errors/component-config.error';

const received: CloudEvent[] = [];

@Injectable()
class Listener {
  @Subscribe({ pubsub: 'pubsub', topic: 'orders' })
  onOrder(_data: unknown, event: CloudEvent) {
    received.push(event);
  }
}

type Md = Record<string, string>;

function components(stateMd: Md, pubsubs: { name: string; metadata?: Md }[] = [{ name: 'pubsub' }]) {
  return [
    { name: 'store', type: 'state.in-memory', metadata: stateMd },
    ...pubsubs.map((p) => ({ name: p.name, type: 'pubsub.in-memory', metadata: { shared: 'false', redeliverInterval: '50ms', ...p.metadata } })),
  ];
}

async function boot(stateMd: Md, pubsubs?: { name: string; metadata?: Md }[]): Promise<INestApplication> {
  @Module({ imports: [DaprModule.forRoot({ appId: 'shop', components: components(stateMd, pubsubs) })], providers: [Listener] })
  class AppModule {}
  const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.init();
  return app;
}

const OUTBOX = { outboxPublishPubsub: 'pubsub', outboxPublishTopic: 'orders' };

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('transactional outbox (in-memory store and pub/sub)', () => {
  let app: INestApplication | undefined;
  beforeEach(() => (received.length = 0));
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('publishes every upsert of a committed transaction as Dapr builds the event, and deletes the markers', async () => {
    app = await boot(OUTBOX);
    const state = app.get(StateService);
    await state.transaction('store', [
      { operation: 'upsert', request: { key: 'o1', value: { id: 1 }, metadata: { contentType: 'application/json', type: 'order.created' } } },
      { operation: 'upsert', request: { key: 'o2', value: 'plain' } },
      { operation: 'delete', request: { key: 'gone' } },
    ]);
    await until(() => received.length === 2);
    const byData = (d: unknown) => received.find((e) => JSON.stringify(e.data) === JSON.stringify(d))!;
    const json = byData({ id: 1 });
    expect(json).toMatchObject({
      specversion: '1.0',
      source: 'shop',
      type: 'order.created',
      topic: 'orders',
      pubsubname: 'pubsub',
      datacontenttype: 'application/json',
      contentType: 'application/json',
    });
    expect(json.id).toMatch(/^outbox-[0-9a-f-]{36}$/);
    // The relay's publish stamps its producer span (Dapr leaves `traceparent` empty there).
    expect(json.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(json.traceid).toBe(json.traceparent);
    // No content type: Dapr's text/plain, the string as it is.
    expect(byData('plain')).toMatchObject({ datacontenttype: 'text/plain', type: 'com.dapr.event.sent' });
    expect(await state.get('store', 'o1')).toEqual({ id: 1 });
    // The markers are unprefixed `outbox-<uuid>` keys, deleted once published.
    const driver = app.get(ComponentRuntime).get<StateStoreDriver>('state', 'store').driver;
    for (const e of received) await expect(waitGone(driver, e.id)).resolves.toBe(true);
  });

  it('publishes nothing for a transaction that fails on a stale ETag', async () => {
    app = await boot(OUTBOX);
    const state = app.get(StateService);
    await state.save('store', { key: 'k', value: 1 });
    await expect(
      state.transaction('store', [
        { operation: 'upsert', request: { key: 'stale-a', value: 'a' } },
        { operation: 'upsert', request: { key: 'k', value: 2, etag: 'not-the-etag' } },
      ]),
    ).rejects.toBeInstanceOf(ETagMismatchError);
    await state.transaction('store', [{ operation: 'upsert', request: { key: 'after', value: 'after' } }]);
    await until(() => received.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(received.map((e) => e.data)).toEqual(['after']);
    expect(await state.get('store', 'stale-a')).toBeUndefined();
  });

  it('publishes a projection instead of the stored value and does not store the projection', async () => {
    app = await boot(OUTBOX);
    const state = app.get(StateService);
    await state.transaction('store', [
      { operation: 'upsert', request: { key: 'p', value: { id: 7, secret: 'x' }, metadata: { contentType: 'application/json' } } },
      { operation: 'upsert', request: { key: 'p', value: { id: 7 }, metadata: { contentType: 'application/json', 'outbox.projection': 'true' } } },
    ]);
    await until(() => received.length === 1);
    expect(received[0].data).toEqual({ id: 7 });
    expect(await state.get('store', 'p')).toEqual({ id: 7, secret: 'x' });
  });

  it('a projection without an upsert of its key fails the transaction', async () => {
    app = await boot(OUTBOX);
    await expect(
      app.get(StateService).transaction('store', [
        { operation: 'upsert', request: { key: 'a', value: 1 } },
        { operation: 'upsert', request: { key: 'b', value: 2, metadata: { 'outbox.projection': 'true' } } },
      ]),
    ).rejects.toThrow(/outbox projection for key "shop\|\|b"/);
  });

  it('relays through a separate internal pub/sub (outboxPubsub) on Dapr\'s internal topic name', async () => {
    app = await boot({ ...OUTBOX, outboxPubsub: 'internal' }, [{ name: 'pubsub' }, { name: 'internal' }]);
    const internal: string[] = [];
    const driver = app.get(ComponentRuntime).get<PubSubDriver>('pubsub', 'internal').driver;
    const publish = driver.publish.bind(driver);
    driver.publish = (r) => (internal.push(r.topic), publish(r));
    await app.get(StateService).transaction('store', [{ operation: 'upsert', request: { key: 'x', value: 1 } }]);
    await until(() => received.length === 1);
    expect(internal).toEqual(['shopordersoutbox']);
    expect(received[0]).toMatchObject({ pubsubname: 'pubsub', topic: 'orders', data: '1' });
  });

  it('an internal publish that fails stops the transaction before the store sees it (ERR_PUBLISH_OUTBOX)', async () => {
    app = await boot(OUTBOX, [{ name: 'pubsub', metadata: { publishingScopes: 'shop=orders' } }]);
    const state = app.get(StateService);
    const err = await state.transaction('store', [{ operation: 'upsert', request: { key: 'never', value: 1 } }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboxPublishError);
    expect((err as OutboxPublishError).errorCode).toBe('ERR_PUBLISH_OUTBOX');
    expect(await state.get('store', 'never')).toBeUndefined();
    // Plain saves never publish.
    await state.save('store', { key: 'saved', value: 1 });
    await app.get(PubSubService).publish('pubsub', 'orders', 'direct');
    await until(() => received.length === 1);
    expect(received[0].data).toBe('direct');
  });

  it('refuses half a configuration and unknown pub/subs at start-up', async () => {
    await expect(boot({ outboxPublishTopic: 'orders' })).rejects.toThrow(ComponentConfigError);
    await expect(boot({ outboxPublishPubsub: 'nope', outboxPublishTopic: 'orders' })).rejects.toThrow(
      /metadata "outboxPublishPubsub" names pub\/sub "nope", which is not configured/,
    );
  });

  it('DaprTestingModule keeps the outbox on the in-memory twins', async () => {
    @Module({
      imports: [
        DaprModule.forRoot({
          appId: 'shop',
          components: [
            { name: 'store', type: 'state.redis', metadata: { redisHost: 'nowhere:1', ...OUTBOX } },
            { name: 'pubsub', type: 'pubsub.kafka', metadata: { brokers: 'nowhere:1' } },
          ],
        }),
      ],
      providers: [Listener],
    })
    class AppModule {}
    const dapr = await DaprTestingModule.create(AppModule);
    try {
      await dapr.get(StateService).transaction('store', [{ operation: 'upsert', request: { key: 'o', value: { n: 1 }, metadata: { contentType: 'application/json' } } }]);
      await dapr.settle();
      expect(dapr.publishedData('orders')).toEqual([{ n: 1 }]);
      expect(received.map((e) => e.data)).toEqual([{ n: 1 }]);
    } finally {
      await dapr.close();
    }
  });
});

async function waitGone(driver: StateStoreDriver, key: string): Promise<boolean> {
  const end = Date.now() + 3000;
  while (Date.now() < end) {
    if ((await driver.get({ key, metadata: {} })) === undefined) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
