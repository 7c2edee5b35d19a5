import type { INestApplication } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { PubSubService } from 'nest-dapr';
import { partitionForKey } from '../../libs/dapr/src/components/kafka/fnv1a.partitioner';
import { startApp } from './pubsub-test-kit';
import { expectDaprCloudEvent } from './support/cloud-event-assertions';
import { KAFKA_BROKERS, uniqueName, waitFor } from './support/broker-test-utils';

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
});
