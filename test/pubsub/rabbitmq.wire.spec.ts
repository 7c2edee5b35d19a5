import { Injectable, type INestApplication } from '@nestjs/common';
import { connect, type Channel, type ChannelModel, type ConsumeMessage, type GetMessage } from 'amqplib';
import { PubSubService, Subscribe, SubscriptionStatus, type CloudEvent, type ComponentDefinition } from 'nest-dapr';
import { startApp } from './pubsub-test-kit';
import { expectDaprCloudEvent } from './support/cloud-event-assertions';
import { RABBITMQ_URL, sleep, uniqueName, waitFor } from './support/broker-test-utils';
import { brokerBindings, brokerExchanges, brokerQueues } from './support/rabbitmq-admin';

/**
 * Wire check against components-contrib `pubsub/rabbitmq`: the exchanges,
 * queues, arguments and bindings nest-dapr declares are the ones a Dapr
 * sidecar declares (read back with rabbitmqctl), what it publishes is Dapr's
 * message (read with a raw amqplib consumer: body = CloudEvent JSON,
 * content-type text/plain, delivery mode, expiration, priority, no headers),
 * and a message a Dapr sidecar would publish reaches a @Subscribe handler.
 */
describe('pubsub.rabbitmq on the wire', () => {
  let app: INestApplication | undefined;
  let raw: ChannelModel;
  let ch: Channel;

  beforeAll(async () => {
    raw = await connect(RABBITMQ_URL);
    ch = await raw.createChannel();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await raw.close();
  });

  const component = (metadata: Record<string, string> = {}): ComponentDefinition => ({
    name: 'rabbitps',
    type: 'pubsub.rabbitmq',
    metadata: { connectionString: RABBITMQ_URL, ...metadata },
  });

  function consumerOf(topic: string, metadata: Record<string, string>, seen: CloudEvent[], status?: SubscriptionStatus) {
    @Injectable()
    class Consumer {
      @Subscribe({ pubsub: 'rabbitps', topic, metadata })
      on(_data: unknown, event: CloudEvent) {
        seen.push(event);
        return status;
      }
    }
    return Consumer;
  }

  it("declares Dapr's default topology: a durable auto-delete fanout exchange per topic and the queue <consumerID>-<topic>", async () => {
    const id = uniqueName('wire');
    const topic = `${id}-orders`;
    const appId = `${id}-app`;
    app = await startApp({ appId, components: [component()], providers: [consumerOf(topic, {}, [])] });

    expect(await brokerExchanges(topic)).toEqual([{ name: topic, type: 'fanout', durable: true, auto_delete: true }]);
    expect(await brokerQueues(`${appId}-`)).toEqual([
      { name: `${appId}-${topic}`, durable: true, auto_delete: true, exclusive: false, arguments: { 'x-queue-type': 'classic' } },
    ]);
    expect(await brokerBindings(`${appId}-${topic}`)).toEqual([
      { source_name: topic, destination_name: `${appId}-${topic}`, destination_kind: 'queue', routing_key: '' },
    ]);
    // deletedWhenUnused: the queue goes with its consumer, as in Dapr.
    await app.close();
    app = undefined;
    await waitFor(async () => (await brokerQueues(`${appId}-`)).length === 0, 'the auto-delete queue to go', 30_000);
  }, 60_000);

  it('declares dlx-/dlq- dead-lettering, length limits, quorum, priority and single-active-consumer arguments as Dapr does', async () => {
    const id = uniqueName('wire');
    const topic = `${id}-jobs`;
    const queue = `${id}-custom`;
    const prioTopic = `${id}-prio`;
    const prioQueue = `${id}-app-${prioTopic}`;
    app = await startApp({
      appId: `${id}-app`,
      components: [
        component({ enableDeadLetter: 'true', deletedWhenUnused: 'false', maxLen: '1000', maxLenBytes: '1048576', exchangeKind: 'topic', requeueDelay: '0' }),
      ],
      providers: [
        consumerOf(
          topic,
          { queueName: queue, queueType: 'quorum', singleActiveConsumer: 'true', maxLen: '50', routingKey: 'eu.*,us.#' },
          [],
          SubscriptionStatus.RETRY,
        ),
        // Priority queues are classic queues (quorum queues refuse x-max-priority).
        consumerOf(prioTopic, { maxPriority: '300' }, []),
      ],
    });
    try {
      expect(await brokerExchanges(`dlx-${queue}`)).toEqual([{ name: `dlx-${queue}`, type: 'fanout', durable: true, auto_delete: false }]);
      expect(await brokerExchanges(topic)).toEqual([{ name: topic, type: 'topic', durable: true, auto_delete: false }]);
      const queues = await brokerQueues(`dlq-${queue}`);
      expect(queues).toEqual([
        {
          name: `dlq-${queue}`,
          durable: true,
          auto_delete: false,
          exclusive: false,
          arguments: { 'x-max-length': 1000, 'x-max-length-bytes': 1048576, 'x-queue-mode': 'lazy' },
        },
      ]);
      const [q] = await brokerQueues(queue);
      expect(q).toEqual({
        name: queue,
        durable: true,
        auto_delete: false,
        exclusive: false,
        arguments: {
          'x-dead-letter-exchange': `dlx-${queue}`,
          'x-max-length': 50,
          'x-max-length-bytes': 1048576,
          'x-queue-type': 'quorum',
          'x-single-active-consumer': true,
        },
      });
      const [p] = await brokerQueues(prioQueue);
      expect(p.arguments).toEqual({
        'x-dead-letter-exchange': `dlx-${prioQueue}`,
        'x-max-length': 1000,
        'x-max-length-bytes': 1048576,
        'x-max-priority': 255,
        'x-queue-type': 'classic',
      });
      const bindings = await brokerBindings(queue);
      expect(bindings.map((b) => `${b.source_name} -> ${b.destination_name} [${b.routing_key}]`).sort()).toEqual(
        [`${topic} -> ${queue} [eu.*]`, `${topic} -> ${queue} [us.#]`, `dlx-${queue} -> dlq-${queue} []`].sort(),
      );

      // A message the handler refuses (RETRY) with requeueInFailure=false goes to dlq-<queue>, as in Dapr.
      await app.get(PubSubService).publish('rabbitps', topic, { poison: true }, { metadata: { routingKey: 'eu.fr' } });
      await app.get(PubSubService).publish('rabbitps', topic, { unrouted: true }, { metadata: { routingKey: 'asia.jp' } });
      let got: GetMessage | false = false;
      await waitFor(async () => (got = await ch.get(`dlq-${queue}`, { noAck: true })) !== false, 'the dead-lettered message', 20_000);
      const ce = JSON.parse((got as unknown as GetMessage).content.toString()) as CloudEvent;
      expect(ce.data).toEqual({ poison: true });
      expect((got as unknown as GetMessage).properties.headers?.['x-death']).toBeDefined();
      await sleep(500);
      expect(await ch.get(`dlq-${queue}`, { noAck: true })).toBe(false);
    } finally {
      await app.close();
      app = undefined;
      for (const name of [queue, `dlq-${queue}`, prioQueue, `dlq-${prioQueue}`]) await ch.deleteQueue(name).catch(() => undefined);
      for (const name of [topic, `dlx-${queue}`, prioTopic, `dlx-${prioQueue}`]) await ch.deleteExchange(name).catch(() => undefined);
    }
  }, 90_000);

  it("publishes Dapr's message: CloudEvent body, content-type text/plain, no headers; deliveryMode, ttlInSeconds and priority as properties", async () => {
    const id = uniqueName('wire');
    const topic = `${id}-orders`;
    const appId = `${id}-app`;
    app = await startApp({ appId, components: [component({ deliveryMode: '2' })] });
    const pubsub = app.get(PubSubService);
    await pubsub.publish('rabbitps', topic, { warmup: true }); // declares the exchange
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(queue, topic, '');
    const got: ConsumeMessage[] = [];
    await ch.consume(queue, (m) => m && got.push(m), { noAck: true });

    await pubsub.publish('rabbitps', topic, { orderId: 42 }, { metadata: { tenant: 'acme' } });
    await pubsub.publish('rabbitps', topic, { orderId: 43 }, { metadata: { ttlInSeconds: '60', priority: '7', messageID: 'mid-1', correlationID: 'cid-1' } });
    await waitFor(() => got.length === 2, 'two raw deliveries', 20_000);

    const [first, second] = got;
    expect(first.fields.exchange).toBe(topic);
    expect(first.fields.routingKey).toBe('');
    expectDaprCloudEvent(JSON.parse(first.content.toString()) as Record<string, unknown>, { source: appId, topic, pubsubname: 'rabbitps', data: { orderId: 42 } });
    expect(first.properties.contentType).toBe('text/plain');
    expect(first.properties.deliveryMode).toBe(2);
    // Dapr's component sends no headers (request metadata is not carried); amqplib always writes an empty table.
    expect(first.properties.headers ?? {}).toEqual({});
    expect(first.properties.expiration).toBeUndefined();
    expect(first.properties.priority).toBeUndefined();
    expect(first.properties.messageId).toBeUndefined();

    const ce2 = JSON.parse(second.content.toString()) as CloudEvent;
    expect(ce2.data).toEqual({ orderId: 43 });
    // TTL is the broker's (MESSAGE_TTL): an AMQP expiration, not a CloudEvent attribute.
    expect(ce2.expiration).toBeUndefined();
    expect(second.properties).toMatchObject({ expiration: '60000', priority: 7, messageId: 'mid-1', correlationId: 'cid-1', deliveryMode: 2 });
  }, 60_000);

  it('a CloudEvent published the way a Dapr sidecar does reaches a @Subscribe handler; message properties reach it as metadata', async () => {
    const id = uniqueName('wire');
    const topic = `${id}-events`;
    const seen: CloudEvent[] = [];
    const metadataSeen: Record<string, string>[] = [];
    @Injectable()
    class Consumer {
      @Subscribe({ pubsub: 'rabbitps', topic })
      on(_data: unknown, event: CloudEvent) {
        seen.push(event);
        metadataSeen.push(event.metadata as Record<string, string>);
      }
    }
    app = await startApp({ appId: `${id}-app`, components: [component({ publishMessagePropertiesToMetadata: 'true' })], providers: [Consumer] });
    const ce = {
      specversion: '1.0',
      id: `dapr-${id}`,
      source: 'a-dapr-app',
      type: 'com.dapr.event.sent',
      datacontenttype: 'application/json',
      topic,
      pubsubname: 'rabbitps',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      traceid: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: '',
      data: { from: 'dapr' },
    };
    ch.publish(topic, '', Buffer.from(JSON.stringify(ce)), { contentType: 'text/plain', messageId: 'm-9', headers: { origin: 'daprd' } });
    await waitFor(() => seen.length === 1, 'the delivery', 20_000);
    expect(seen[0]).toMatchObject({ id: `dapr-${id}`, source: 'a-dapr-app', data: { from: 'dapr' } });
    expect(metadataSeen[0]).toMatchObject({ 'metadata.messageid': 'm-9', 'metadata.contenttype': 'text/plain', 'metadata.origin': 'daprd' });
  }, 60_000);
});
