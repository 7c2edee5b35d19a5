/**
 * The raw-client sides of the pub/sub benchmark: plain kafkajs and plain
 * ioredis doing the same work as nest-dapr — build a Dapr CloudEvent 1.0 JSON
 * envelope on publish, decode it and call the same handler on delivery, commit
 * (Kafka) or XACK (Redis) after the handler — with the same client options.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { Redis } from 'ioredis';

export type OnData = (data: unknown) => void;

export interface RawSide {
  publish(topic: string, data: unknown): Promise<void>;
  close(): Promise<void>;
}

/** What PubSubService writes (reference §3.1), built the straightforward way. */
export function cloudEvent(source: string, topic: string, pubsubname: string, data: unknown, id: string = randomUUID()): Buffer {
  const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  return Buffer.from(
    JSON.stringify({
      specversion: '1.0',
      id,
      source,
      type: 'com.dapr.event.sent',
      datacontenttype: 'application/json',
      topic,
      pubsubname,
      time: new Date().toISOString(),
      traceid: traceparent,
      traceparent,
      tracestate: '',
      data,
    }),
  );
}

export async function rawKafka(opts: { brokers: string; topic: string; groupId: string; onData: OnData }): Promise<RawSide> {
  const kafka = new Kafka({ clientId: 'raw-bench', brokers: [opts.brokers], logLevel: logLevel.NOTHING });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const consumer: Consumer = kafka.consumer({ groupId: opts.groupId, sessionTimeout: 10_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [opts.topic], fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    partitionsConsumedConcurrently: 32,
    eachMessage: async ({ message }) => {
      const ce = JSON.parse(message.value!.toString()) as { data: unknown };
      opts.onData(ce.data);
    },
  });
  await joined;
  return {
    publish: async (topic, data) => {
      await producer.send({ topic, acks: -1, messages: [{ value: cloudEvent('bench', topic, 'kafkaps', data), headers: {} }] });
    },
    close: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

export async function rawRedis(opts: { host: string; topic: string; group: string; onData: OnData }): Promise<RawSide> {
  const client = new Redis(opts.host);
  const reader = new Redis(opts.host);
  await client.xgroup('CREATE', opts.topic, opts.group, '0', 'MKSTREAM').catch(() => undefined);
  let stopping = false;
  const concurrency = 10;
  const loop = (async () => {
    while (!stopping) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await reader.xreadgroup('GROUP', opts.group, opts.group, 'COUNT', 100, 'BLOCK', 2000, 'STREAMS', opts.topic, '>')) as typeof reply;
      } catch {
        if (stopping) break;
        continue;
      }
      if (!reply) continue;
      const entries = reply[0][1];
      let next = 0;
      const worker = async () => {
        while (next < entries.length) {
          const [id, fields] = entries[next++];
          const ce = JSON.parse(fields[1]) as { data: unknown };
          opts.onData(ce.data);
          await client.xack(opts.topic, opts.group, id);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
    }
  })();
  return {
    publish: async (topic, data) => {
      await client.xadd(topic, '*', 'data', cloudEvent('bench', topic, 'redisps', data), 'metadata', '{}');
    },
    close: async () => {
      stopping = true;
      reader.disconnect();
      await loop;
      await client.quit();
    },
  };
}
