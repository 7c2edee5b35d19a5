/**
 * Proves the services the integration suites need are really there. CI starts
 * them with scripts/services.sh; a missing one fails here, never skips.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';

/** A fresh broker answers metadata for a new topic only once its leaders are elected. */
async function untilLeadersElected(admin: ReturnType<Kafka['admin']>, topic: string): Promise<void> {
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      if (topics[0]?.partitions.length === 2 && topics[0].partitions.every((p) => p.leader >= 0)) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`no leaders for ${topic} after 20s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('integration services', () => {
  it('Redis answers on 127.0.0.1:6379', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const key = `smoke:${randomUUID()}`;
    await redis.set(key, 'v', 'EX', 10);
    expect(await redis.get(key)).toBe('v');
    await redis.del(key);
    await redis.quit();
  });

  it('PostgreSQL answers on 127.0.0.1:5432 with database test', async () => {
    const client = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await client.connect();
    const { rows } = await client.query<{ n: number }>('SELECT $1::int + 1 AS n', [41]);
    expect(rows[0].n).toBe(42);
    await client.end();
  });

  it('Kafka on 127.0.0.1:9092 creates a topic, produces and consumes in a group', async () => {
    const kafka = new Kafka({ clientId: 'smoke', brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING });
    const topic = `smoke-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await untilLeadersElected(admin, topic);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }, { key: 'c', value: 'three' }] });
    const consumer = kafka.consumer({ groupId: `smoke-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only got ${seen.length} of 3 messages`)), 20000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length === 3) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    expect(seen.sort()).toEqual(['one', 'three', 'two']);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(3);
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });
});
