import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Kafka, logLevel } from 'kafkajs';
import { BindingsService, DaprModule, OnBinding, type ComponentDefinition } from 'nest-dapr';
import { uniqueSuffix, waitFor } from '../bindings/bindings-test-app';
import { KAFKA_BROKERS } from '../pubsub/support/broker-test-utils';

/**
 * Shutdown finishes within limits.drainTimeoutMs while an input binding
 * handler hangs (issue 13 item 6): the manager does not await a driver's
 * stop() — which waits for its handlers — before the timeout applies, and
 * then gives the hung deliveries back so the driver can stop.
 */
describe('shutdown with a hung input binding handler', () => {
  let started = 0;

  @Injectable()
  class Hangs {
    @OnBinding('in')
    async on(): Promise<void> {
      started++;
      await new Promise(() => undefined);
    }
  }

  async function closeTime(components: ComponentDefinition[], trigger: () => Promise<void>): Promise<number> {
    started = 0;
    const ref = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: `drain-${uniqueSuffix()}`, components, limits: { drainTimeoutMs: 400 } })],
      providers: [Hangs],
    }).compile();
    const app = ref.createNestApplication({ logger: false });
    await app.init();
    await trigger.call(app.get(BindingsService));
    await waitFor(() => started >= 1, 20_000);
    const at = Date.now();
    await app.close();
    return Date.now() - at;
  }

  it('bindings.cron', async () => {
    expect(await closeTime([{ name: 'in', type: 'bindings.cron', metadata: { schedule: '@every 100ms' } }], async () => undefined)).toBeLessThan(400 + 3_000);
  });

  it('bindings.kafka (its consumer waits for the running handler before it stops)', async () => {
    const topic = `drain-${uniqueSuffix()}`;
    const kafka = new Kafka({ brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const elapsed = await closeTime(
      [{ name: 'in', type: 'bindings.kafka', metadata: { brokers: KAFKA_BROKERS, topics: topic, consumerGroup: `g-${topic}`, initialOffset: 'oldest' } }],
      async () => {
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({ topic, messages: [{ value: '{"x":1}' }] });
        await producer.disconnect();
      },
    );
    expect(elapsed).toBeLessThan(400 + 5_000);
  }, 60_000);
});
