import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Test, type TestingModule } from '@nestjs/testing';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { ServiceBusTestPeer } from '../support/servicebus-peer';
import { dropMqttSession } from '../pubsub/support/mqtt-test-utils';
import { Client } from 'pg';
import { connect as amqpConnect } from 'amqplib';
import { DaprModule, PubSubService } from 'nest-dapr';
import { copyProfile, setMetadata, type ComponentDoc } from './support/profile-copy';
import { call, eventually, freePort, startSampleApp, stopApp, type RunningApp } from './support/sample-apps';

/**
 * The sample apps as two real processes on each component profile: orders
 * flow order → checkout → order over the profile's pub/sub, stock is kept
 * with ETags in the profile's state store, and an invalid event lands on the
 * dead-letter topic. Every run uses its own SKUs, key prefixes, consumer
 * groups and tables, so runs never see each other's data.
 */
type Profile = 'local' | 'redis' | 'kafka' | 'servicebus' | 'nats' | 'rabbitmq' | 'mqtt';

interface RunResources {
  cleanup: () => Promise<void>;
}

function prepare(profile: Profile, run: string, dir: string, servicebus?: ServiceBusTestPeer): RunResources {
  const components = join(dir, 'components');
  if (profile === 'local') {
    copyProfile('local', components, dir);
    return { cleanup: async () => undefined };
  }
  if (profile === 'redis') {
    copyProfile('redis', components, dir, (doc) => {
      if (doc.spec?.type === 'state.redis') setMetadata(doc, 'keyPrefix', `e2e-${run}-${doc.metadata!.name}`);
      if (doc.spec?.type === 'pubsub.redis') setMetadata(doc, 'consumerID', `e2e-${run}-{appID}`);
    });
    return {
      cleanup: async () => {
        const redis = new Redis('127.0.0.1:6379', { lazyConnect: true });
        await redis.connect();
        try {
          const keys: string[] = [];
          let cursor = '0';
          do {
            const [next, batch] = await redis.scan(cursor, 'MATCH', `e2e-${run}-*`, 'COUNT', 500);
            cursor = next;
            keys.push(...batch);
          } while (cursor !== '0');
          if (keys.length) await redis.del(...keys);
          // This run's consumer groups on the sample topics.
          for (const topic of ['order.created', 'order.paid', 'order.rejected', 'order.created.dead']) {
            for (const app of ['order', 'checkout']) await redis.xgroup('DESTROY', topic, `e2e-${run}-${app}`).catch(() => undefined);
          }
          // The outbox's internal stream: a later run's new consumer group would read it from the start and
          // wait out each old message's missing marker (they were all relayed or never committed).
          await redis.del('orderorder.createdoutbox');
        } finally {
          redis.disconnect();
        }
      },
    };
  }
  if (profile === 'rabbitmq') return prepareRabbitmq(run, dir);
  if (profile === 'mqtt') {
    // Redis state under this run's key prefixes; each app's MQTT session under this run's client id.
    const clientIds: string[] = [];
    copyProfile('mqtt', components, dir, (doc) => {
      if (doc.spec?.type === 'state.redis') setMetadata(doc, 'keyPrefix', `e2e-${run}-${doc.metadata!.name}`);
      if (doc.spec?.type === 'pubsub.mqtt3') setMetadata(doc, 'consumerID', `e2e-${run}-{appID}`);
    });
    for (const app of ['order', 'checkout', `e2e-probe-${run}`]) clientIds.push(`e2e-${run}-${app}`);
    return {
      cleanup: async () => {
        // A clean connect ends each persistent session, so the broker stops queueing for it.
        for (const clientId of clientIds) await dropMqttSession(clientId).catch(() => undefined);
        const redis = new Redis('127.0.0.1:6379', { lazyConnect: true });
        await redis.connect();
        try {
          const keys: string[] = [];
          let cursor = '0';
          do {
            const [next, batch] = await redis.scan(cursor, 'MATCH', `e2e-${run}-*`, 'COUNT', 500);
            cursor = next;
            keys.push(...batch);
          } while (cursor !== '0');
          if (keys.length) await redis.del(...keys);
        } finally {
          redis.disconnect();
        }
      },
    };
  }
  const tables: string[] = [];
  const pgTables = (doc: ComponentDoc) => {
    const table = `e2e_${run}_${doc.metadata!.name}`;
    tables.push(table, `${table}_meta`);
    setMetadata(doc, 'tableName', table);
    setMetadata(doc, 'metadataTableName', `${table}_meta`);
  };
  const dropTables = async () => {
    const pg = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await pg.connect();
    try {
      for (const t of tables) await pg.query(`DROP TABLE IF EXISTS ${t}`);
    } finally {
      await pg.end();
    }
  };
  if (profile === 'nats') {
    // The profile as shipped (its streams are the topics' own, created on first use); this run's Redis key prefixes.
    copyProfile('nats', components, dir, (doc) => {
      if (doc.spec?.type === 'state.redis') setMetadata(doc, 'keyPrefix', `e2e-${run}-${doc.metadata!.name}`);
    });
    return {
      cleanup: async () => {
        const redis = new Redis('127.0.0.1:6379');
        const keys = await redis.keys(`e2e-${run}-*`);
        if (keys.length) await redis.del(...keys);
        redis.disconnect();
      },
    };
  }
  if (profile === 'servicebus') {
    // The profile as shipped, pointed at the AMQP test peer (docs/servicebus-test-peer.md) and the local PostgreSQL.
    copyProfile('servicebus', components, dir, (doc) => {
      if (doc.spec?.type === 'pubsub.azure.servicebus.topics') {
        doc.spec.metadata = doc.spec.metadata!.filter((m) => m.name !== 'connectionString');
        setMetadata(doc, 'connectionString', servicebus!.connectionString);
        setMetadata(doc, 'disableEntityManagement', 'true');
        setMetadata(doc, 'consumerID', `e2e-${run}-{appID}`);
      }
      if (doc.spec?.type === 'state.postgresql') {
        doc.spec.metadata = doc.spec.metadata!.filter((m) => m.name !== 'connectionString');
        setMetadata(doc, 'connectionString', 'host=127.0.0.1 port=5432 user=postgres database=test');
        pgTables(doc);
      }
    });
    return { cleanup: dropTables };
  }
  copyProfile('kafka', components, dir, (doc) => {
    if (doc.spec?.type === 'pubsub.kafka') setMetadata(doc, 'consumerGroup', `e2e-${run}-{appID}`);
    if (doc.spec?.type === 'state.postgresql') pgTables(doc);
  });
  return {
    cleanup: async () => {
      // This run's consumer groups (empty now that both apps stopped).
      const kafka = new Kafka({ clientId: `e2e-${run}`, brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups(['order', 'checkout'].map((app) => `e2e-${run}-${app}`)).catch(() => undefined);
      await admin.disconnect();
      await dropTables();
    },
  };
}

/**
 * RabbitMQ: the profile as shipped (queues that outlive their app), with this run's
 * consumerIDs and state key prefix; cleanup deletes the run's queues and keys.
 */
function prepareRabbitmq(run: string, dir: string): RunResources {
  copyProfile('rabbitmq', join(dir, 'components'), dir, (doc) => {
    if (doc.spec?.type === 'state.redis') setMetadata(doc, 'keyPrefix', `e2e-${run}-${doc.metadata!.name}`);
    if (doc.spec?.type === 'pubsub.rabbitmq') setMetadata(doc, 'consumerID', `e2e-${run}-{appID}`);
  });
  return {
    cleanup: async () => {
      const conn = await amqpConnect('amqp://guest:guest@127.0.0.1:5672');
      try {
        for (const topic of ['order.created', 'order.paid', 'order.rejected', 'order.created.dead']) {
          for (const app of ['order', 'checkout']) {
            // A channel per delete: deleting a queue that is not there may close it.
            const ch = await conn.createChannel();
            await ch.deleteQueue(`e2e-${run}-${app}-${topic}`).catch(() => undefined);
            await ch.close().catch(() => undefined);
          }
        }
      } finally {
        await conn.close();
      }
      const redis = new Redis('127.0.0.1:6379');
      const keys = await redis.keys(`e2e-${run}-*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    },
  };
}

describe.each<Profile>(['local', 'redis', 'kafka', 'servicebus', 'nats', 'rabbitmq', 'mqtt'])('order flow end to end on the %s profile', (profile) => {
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const sku = (name: string) => `${name}-${run}`;
  let dir: string;
  let resources: RunResources;
  let checkout: RunningApp | undefined;
  let order: RunningApp | undefined;
  let probe: TestingModule | undefined;
  let peer: ServiceBusTestPeer | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `nest-dapr-e2e-${profile}-`));
    // Topics appear on first use, as Dapr's entity management would create them.
    if (profile === 'servicebus') peer = await ServiceBusTestPeer.start({ autoCreate: 'topic' });
    resources = prepare(profile, run, dir, peer);
    const env = {
      DAPR_COMPONENTS_PATH: join(dir, 'components'),
      DAPR_PROFILE: profile,
      CHECKOUT_CATALOG: JSON.stringify([
        { sku: sku('coffee'), available: 10, price: 4.5 },
        { sku: sku('grinder'), available: 1, price: 89 },
      ]),
    };
    const [checkoutPort, orderPort] = [await freePort(), await freePort()];
    [checkout, order] = await Promise.all([
      startSampleApp('checkout', checkoutPort, dir, env),
      startSampleApp('order', orderPort, dir, env),
    ]);
    // A third app in the test process that publishes straight to the profile's broker.
    probe = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: `e2e-probe-${run}`, componentsPath: join(dir, 'components') })],
    }).compile();
    await probe.init();
  }, 120_000);

  afterAll(async () => {
    await probe?.close();
    await Promise.all([stopApp(order), stopApp(checkout)]);
    await resources?.cleanup();
    await peer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const finalOrder = (id: string) =>
    eventually(
      async () => (await call(order!.port, 'GET', `/orders/${id}`)).body as { status: string; total?: number; reason?: string; history: { event: string }[] },
      (o) => o.status !== 'pending',
    );

  it('pays, validates and rejects orders across both processes, and dead-letters an invalid event', async () => {
    // 1. A valid order: quoted through invocation, paid through pub/sub.
    const first = await call(order!.port, 'POST', '/orders', { customer: 'ada', items: [{ sku: sku('coffee'), quantity: 3 }] });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'pending', quotedTotal: 13.5 });

    // 2. Invalid input: 400 with the validation messages, nothing published.
    const invalid = await call(order!.port, 'POST', '/orders', { customer: '', items: [{ sku: sku('coffee'), quantity: 0 }] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toEqual(expect.arrayContaining(['customer should not be empty', 'items.0.quantity must not be less than 1']));

    // 3. The last grinder, then one more: the second runs out of stock.
    const grinder1 = await call(order!.port, 'POST', '/orders', { customer: 'grace', items: [{ sku: sku('grinder'), quantity: 1 }] });
    expect(grinder1.status).toBe(201);
    const paidGrinder = await finalOrder(grinder1.body.id);
    const grinder2 = await call(order!.port, 'POST', '/orders', { customer: 'linus', items: [{ sku: sku('grinder'), quantity: 1 }, { sku: sku('coffee'), quantity: 1 }] });
    expect(grinder2.status).toBe(201);

    const paidCoffee = await finalOrder(first.body.id);
    const rejected = await finalOrder(grinder2.body.id);
    expect(paidCoffee).toMatchObject({ status: 'paid', total: 13.5 });
    expect(paidCoffee.history.map((h) => h.event)).toEqual(['created', 'order.paid']);
    expect(paidGrinder).toMatchObject({ status: 'paid', total: 89 });
    expect(rejected).toMatchObject({ status: 'rejected', reason: `out of stock: ${sku('grinder')} (wanted 1, 0 left)` });

    // Stock: 10 - 3 coffee; the rejected order reserved none of its lines.
    expect((await call(checkout!.port, 'GET', `/stock/${sku('coffee')}`)).body).toMatchObject({ available: 7 });
    expect((await call(checkout!.port, 'GET', `/stock/${sku('grinder')}`)).body).toMatchObject({ available: 0 });

    // 4. An event checkout's DTO refuses goes to order.created.dead (once, not retried) and is recorded there.
    const badId = `bad-${randomUUID()}`;
    await probe!.get(PubSubService).publish('pubsub', 'order.created', { orderId: badId, customer: 'mallory', items: [] });
    const letters = await eventually(
      async () => (await call(checkout!.port, 'GET', '/dead-letters')).body as { data: { orderId: string }; topic: string }[],
      (list) => list.some((l) => l.data?.orderId === badId),
    );
    expect(letters.filter((l) => l.data?.orderId === badId)).toEqual([expect.objectContaining({ topic: 'order.created' })]);
    // A GET for a never-created order is a 404, not a crash.
    expect((await call(order!.port, 'GET', `/orders/${randomUUID()}`)).status).toBe(404);
  }, 90_000);
});
