import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DaprClient } from '@dapr/dapr';
import Redis from 'ioredis';
import { DaprModule } from 'nest-dapr';
import type { PubSubDriver, SubscriptionHandle } from 'nest-dapr/spi';
import { ComponentRuntime } from '../../libs/dapr/src/runtime/component-runtime';
import { PROTOCOLS, sdkClient, thrown, type Protocol } from './support/sdk';
import { component, eventually, startSidecar, writeResources, type RunningSidecar } from './support/sidecar-process';

/**
 * The transactional outbox behind `nest-dapr run`: the official SDK's state
 * transactions (HTTP and gRPC) on a Redis store with Dapr's outbox metadata
 * publish each upsert on the topic, through the sidecar's own relay, and only
 * when the transaction commits.
 */
const run = randomBytes(4).toString('hex');
const appId = `sdkoutbox-${run}`;
const topic = `outbox-orders-${run}`;
let dir: string;
let sidecar: RunningSidecar;
let sink: INestApplicationContext;
let sub: SubscriptionHandle;
const events: { id: string; source: string; topic: string; data: unknown; type: string; datacontenttype: string }[] = [];
/** The `id` field of an event's data: JSON, or JSON text when the operation carried no JSON content type. */
const idOf = (data: unknown): string | undefined => {
  try {
    return (typeof data === 'string' ? (JSON.parse(data) as { id?: string }) : (data as { id?: string }))?.id;
  } catch {
    return undefined;
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sdk-outbox-'));
  const pubsub = { redisHost: '127.0.0.1:6379' };
  writeResources(dir, [
    component('store', 'state.redis', { redisHost: '127.0.0.1:6379', outboxPublishPubsub: 'ps', outboxPublishTopic: topic }),
    component('ps', 'pubsub.redis', pubsub),
  ]);
  sidecar = await startSidecar({ appId, resources: dir });
  @Module({ imports: [DaprModule.forRoot({ appId: `${appId}-sink`, components: [{ name: 'ps', type: 'pubsub.redis', metadata: pubsub }] })] })
  class SinkModule {}
  sink = await NestFactory.createApplicationContext(SinkModule, { logger: ['error'] });
  await sink.init();
  const driver = sink.get(ComponentRuntime).get<PubSubDriver>('pubsub', 'ps').driver;
  sub = await driver.subscribe({ topic, metadata: { consumerID: `${appId}-sink` } }, async (msg) => {
    events.push(JSON.parse(Buffer.from(msg.data).toString('utf8')));
    return 'SUCCESS';
  });
}, 90_000);

afterAll(async () => {
  await sub?.stop();
  await sink?.close();
  await sidecar?.stop();
  rmSync(dir, { recursive: true, force: true });
  const redis = new Redis('127.0.0.1:6379');
  const keys = await redis.keys(`${appId}||*`);
  if (keys.length) await redis.del(...keys);
  await redis.del(topic, `${appId}${topic}outbox`);
  redis.disconnect();
});

describe.each(PROTOCOLS)('DaprClient over %s: transactional outbox', (protocol: Protocol) => {
  let client: DaprClient;
  beforeAll(() => {
    client = sdkClient(sidecar, protocol);
  });
  afterAll(async () => {
    await client.stop();
  });

  it('publishes the upserts of a committed transaction, and nothing of a stale-ETag one', async () => {
    const key = `${protocol}-order`;
    // The SDK's gRPC client takes transaction values as text only.
    const value = protocol === 'HTTP' ? { id: key } : JSON.stringify({ id: key });
    await client.state.transaction('store', [
      { operation: 'upsert', request: { key, value, metadata: { contentType: 'application/json' } } as never },
    ]);
    await client.state.save('store', [{ key: `${protocol}-guard`, value: 1 }]);
    await thrown(() =>
      client.state.transaction('store', [
        { operation: 'upsert', request: { key: `${protocol}-stale`, value: protocol === 'HTTP' ? { id: 'stale' } : '{"id":"stale"}' } },
        { operation: 'upsert', request: { key: `${protocol}-guard`, value: '2', etag: '999999' as never } },
      ]),
    );
    const mine = await eventually(
      'the committed upsert on the topic',
      () => events.filter((e) => idOf(e.data) === key),
      (list) => list.length > 0,
    );
    expect(mine[0]).toMatchObject({ source: appId, topic, type: 'com.dapr.event.sent' });
    expect(mine[0].id).toMatch(/^outbox-/);
    expect(await client.state.get('store', `${protocol}-stale`)).toBe('');
    await new Promise((r) => setTimeout(r, 1500));
    expect(events.some((e) => idOf(e.data) === 'stale')).toBe(false);
  });
});
