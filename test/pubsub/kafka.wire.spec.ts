import type { INestApplication } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { PubSubService } from 'nest-dapr';
import { partitionForKey } from '../../libs/dapr/src/components/kafka/fnv1a.partitioner';
import { startApp } from './pubsub-test-kit';
import { expectDaprCloudEvent } from './support/cloud-event-assertions';
import { KAFKA_BROKERS, componentMetadata, uniqueName, waitFor } from './support/broker-test-utils';
import { KafkaPubSub } from '../../libs/dapr/src/components/kafka/kafka.pubsub';
import type { PubSubMessage } from '../../libs/dapr/src/spi/pubsub.spi';

/**
 * Wire check: what PubSubService writes to Kafka is a CloudEvent 1.0 JSON
 * record that a plain kafkajs consumer (no nest-dapr) can read, with the key
 * and headers a Dapr sidecar would write.
 */
describe('pubsub.kafka on the wire', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('writes a CloudEvent 1.0 record readable by a plain kafkajs consumer', async () => {
    const id = uniqueName('wire');
    const topic = `${id}-orders`;
    const appId = `${id}-app`;
    app = await startApp({
      appId,
      components: [
        { name: 'kafkaps', type: 'pubsub.kafka', metadata: { brokers: KAFKA_BROKERS, autoCreateTopics: 'true', numPartitions: '4' } },
      ],
    });
    await app.get(PubSubService).publish('kafkaps', topic, { orderId: 42 }, { metadata: { partitionKey: 'order-42', tenant: 'acme' } });

    const kafka = new Kafka({ clientId: 'plain', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `${id}-plain` });
    const records: { partition: number; key?: string; value: string; headers: Record<string, string> }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          records.push({ partition, key: message.key?.toString(), value: message.value!.toString(), headers });
        },
      });
      await waitFor(() => records.length === 1, 'the record');
    } finally {
      await consumer.disconnect();
    }
    const [record] = records;
    expect(record.key).toBe('order-42');
    expect(record.partition).toBe(partitionForKey('order-42', 4));
    expect(record.headers).toMatchObject({ partitionKey: 'order-42', tenant: 'acme' });
    expectDaprCloudEvent(JSON.parse(record.value), { source: appId, topic, pubsubname: 'kafkaps', data: { orderId: 42 } });
  });

  it('delivers a record as Dapr GetEventMetadata does: escapeHeaders covers __key, excludeHeaderMetaRegex drops headers, the last repeated header wins', async () => {
    const id = uniqueName('wire-meta');
    const topic = `${id}-t`;
    const kafka = new Kafka({ clientId: 'plain', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    // A record as a sarama producer writes it (key, headers, value), from a plain client.
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ key: 'a b/c', value: '{"x":1}', headers: { keep: ['first', 'x y&z'], 'secret-token': 's3', other: 'o' } }],
    });
    await producer.disconnect();
    const driver = new KafkaPubSub();
    await driver.init(
      componentMetadata('kafka', 'pubsub.kafka', { brokers: KAFKA_BROKERS, escapeHeaders: 'true', excludeHeaderMetaRegex: '^secret-', initialOffset: 'oldest' }, `${id}-app`),
    );
    const got: PubSubMessage[] = [];
    const handle = await driver.subscribe({ topic, metadata: { consumerGroup: `${id}-g` } }, async (m) => (got.push(m), 'SUCCESS'));
    try {
      await waitFor(() => got.length === 1, 'the record');
    } finally {
      await handle.stop();
      await driver.close();
    }
    const md = got[0].metadata;
    expect(md.__key).toBe('a+b%2Fc'); // Go url.QueryEscape
    expect(md.keep).toBe('x+y%26z');
    expect(md.other).toBe('o');
    expect(md).not.toHaveProperty('secret-token');
    expect(md.__topic).toBe(topic);
  });
});
