import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { PubSubService } from 'nest-dapr';
import { startApp } from './pubsub-test-kit';
import { expectDaprCloudEvent } from './support/cloud-event-assertions';
import { REDIS_HOST, uniqueName } from './support/broker-test-utils';

/**
 * Wire check: what PubSubService writes to a Redis stream is Dapr's entry
 * layout (`data` = CloudEvent 1.0 JSON, `metadata` = JSON map) that a plain
 * ioredis consumer group can read.
 */
describe('pubsub.redis on the wire', () => {
  let app: INestApplication | undefined;
  const redis = new Redis(REDIS_HOST);
  let topic = '';

  afterEach(async () => {
    await app?.close();
    app = undefined;
    if (topic) await redis.del(topic);
  });

  afterAll(() => redis.quit());

  it('writes a CloudEvent 1.0 entry readable by a plain ioredis consumer group', async () => {
    const id = uniqueName('wire');
    topic = `${id}-orders`;
    const appId = `${id}-app`;
    app = await startApp({ appId, components: [{ name: 'redisps', type: 'pubsub.redis', metadata: { redisHost: REDIS_HOST } }] });
    await app.get(PubSubService).publish('redisps', topic, { orderId: 42 }, { metadata: { tenant: 'acme' } });

    await redis.xgroup('CREATE', topic, 'plain', '0');
    const reply = (await redis.xreadgroup('GROUP', 'plain', 'c1', 'COUNT', 10, 'STREAMS', topic, '>')) as [string, [string, string[]][]][];
    const entries = reply[0][1];
    expect(entries).toHaveLength(1);
    const [entryId, fields] = entries[0];
    expect(fields.filter((_, i) => i % 2 === 0)).toEqual(['data', 'metadata']);
    const data = JSON.parse(fields[1]) as Record<string, unknown>;
    expect(JSON.parse(fields[3])).toMatchObject({ tenant: 'acme' });
    expectDaprCloudEvent(data, { source: appId, topic, pubsubname: 'redisps', data: { orderId: 42 } });
    expect(await redis.xack(topic, 'plain', entryId)).toBe(1);
  });
});
