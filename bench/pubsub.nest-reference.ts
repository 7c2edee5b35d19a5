/**
 * Reference point for the pub/sub benchmark: @nestjs/microservices' Kafka
 * transport on the same broker and message size — ClientKafka.emit (JSON
 * value, no CloudEvent) to a ServerKafka @EventPattern handler. Nest's
 * transport consumes one message at a time per consumer (reference §4.1),
 * so this is reported for orientation, not as a ratio target.
 */
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientKafka, ClientsModule, EventPattern, Payload, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { DaprModule } from 'nest-dapr';
import { ClientDapr, DaprTransport } from 'nest-dapr/microservices';
import { lastValueFrom } from 'rxjs';
import { Kafka, logLevel } from 'kafkajs';

export interface NestReferenceResult {
  perSec: number;
  p50: number;
  p99: number;
}

export async function nestKafkaReference(o: {
  brokers: string;
  topic: string;
  messages: number;
  rate: number;
  latencyMs: number;
  pad: string;
}): Promise<NestReferenceResult> {
  const state = { count: 0, latencies: [] as number[] };

  @Controller()
  class NestHandler {
    @EventPattern(o.topic)
    handle(@Payload() data: { t?: number }): void {
      state.count++;
      if (data?.t !== undefined) state.latencies.push(performance.now() - data.t);
    }
  }
  @Module({ controllers: [NestHandler] })
  class NestReferenceModule {}

  await createTopic(o.brokers, o.topic);
  const server = await NestFactory.createMicroservice<MicroserviceOptions>(NestReferenceModule, {
    logger: ['error'],
    transport: Transport.KAFKA,
    options: {
      client: { clientId: 'nest-ref', brokers: [o.brokers], logLevel: logLevel.NOTHING },
      consumer: { groupId: `${o.topic}-group`, sessionTimeout: 10_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 100 },
      subscribe: { fromBeginning: true },
    },
  });
  await server.listen();
  const client = new ClientKafka({ client: { clientId: 'nest-ref-client', brokers: [o.brokers], logLevel: logLevel.NOTHING }, producerOnlyMode: true });
  await client.connect();
  try {
    return await measure(o, state, (data) => lastValueFrom(client.emit(o.topic, data), { defaultValue: undefined }));
  } finally {
    await client.close();
    await server.close();
  }
}

/**
 * The same app moved onto nest-dapr's transport: the same `@EventPattern`
 * handler on `DaprTransport`, `ClientDapr.emit` as the producer, through a
 * `pubsub.kafka` component on the same broker (CloudEvents, the delivery
 * pipeline, consumer group = app id). Only the transport/client options differ.
 */
export async function daprTransportReference(o: Parameters<typeof nestKafkaReference>[0]): Promise<NestReferenceResult> {
  const state = { count: 0, latencies: [] as number[] };

  @Controller()
  class NestHandler {
    @EventPattern(o.topic)
    handle(@Payload() data: { t?: number }): void {
      state.count++;
      if (data?.t !== undefined) state.latencies.push(performance.now() - data.t);
    }
  }
  @Module({
    imports: [
      DaprModule.forRoot({
        appId: `${o.topic}-app`,
        components: [
          { name: 'pubsub', type: 'pubsub.kafka', metadata: { brokers: o.brokers, authType: 'none', initialOffset: 'oldest', consumerGroup: `${o.topic}-group` } },
        ],
      }),
      ClientsModule.register([{ name: 'BENCH', customClass: ClientDapr, options: { pubsub: 'pubsub' } }]),
    ],
    controllers: [NestHandler],
  })
  class DaprReferenceModule {}

  await createTopic(o.brokers, o.topic);
  const server = await NestFactory.createMicroservice<MicroserviceOptions>(DaprReferenceModule, {
    logger: ['error'],
    strategy: new DaprTransport({ pubsub: 'pubsub' }),
  });
  await server.listen();
  const client = server.get<ClientDapr>('BENCH');
  try {
    return await measure(o, state, (data) => lastValueFrom(client.emit(o.topic, data), { defaultValue: undefined }));
  } finally {
    await server.close();
  }
}

/** ServerKafka does not start on a topic that does not exist yet; both sides get it created up front. */
async function createTopic(brokers: string, topic: string): Promise<void> {
  const admin = new Kafka({ clientId: 'nest-ref-admin', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
  } finally {
    await admin.disconnect();
  }
}

/** Warm-up, publish→handler throughput (16 in flight), then latency at a fixed rate. */
async function measure(
  o: Parameters<typeof nestKafkaReference>[0],
  state: { count: number; latencies: number[] },
  emit: (data: unknown) => Promise<unknown>,
): Promise<NestReferenceResult> {
  const waitCount = async (target: number) => {
    const deadline = Date.now() + 60_000;
    while (state.count < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  };

  // Warm-up (also waits for the consumer group to be assigned).
  for (let i = 0; i < 200; i++) await emit({ seq: i, pad: o.pad });
  await waitCount(200);

  // Publish→handler throughput, 16 in flight.
  const base = state.count;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < o.messages) await emit({ seq: next++, pad: o.pad });
    }),
  );
  await waitCount(base + o.messages);
  const perSec = o.messages / ((performance.now() - t0) / 1000);

  // Latency at a fixed rate.
  state.latencies = [];
  const n = Math.round((o.rate * o.latencyMs) / 1000);
  const start = performance.now() + 5;
  const target = state.count + n;
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const at = start + (i * 1000) / o.rate;
    const wait = at - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sends.push(emit({ seq: i, t: at, pad: o.pad }));
  }
  await Promise.all(sends);
  await waitCount(target);
  const s = [...state.latencies].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;

  return { perSec, p50: at(0.5), p99: at(0.99) };
}
