import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { connect, type ChannelModel, type GetMessage } from 'amqplib';
import { BindingRequestError, BindingsService, ComponentConfigError, OnBinding } from 'nest-dapr';
import { brokerQueues } from '../pubsub/support/rabbitmq-admin';
import { RABBITMQ_URL } from '../pubsub/support/broker-test-utils';
import { bootBindingsApp, uniqueSuffix, waitFor } from './bindings-test-app';

@Injectable()
class RabbitEvents {
  readonly received: { data: unknown; metadata: Record<string, string> }[] = [];
  readonly attempts = new Map<string, number>();
  /** Events whose id is listed fail this many times before succeeding. */
  readonly failFirst = new Map<string, number>();

  @OnBinding('jobs-in')
  handle(data: { id: string }, metadata: Record<string, string>) {
    const n = (this.attempts.get(data.id) ?? 0) + 1;
    this.attempts.set(data.id, n);
    if (n <= (this.failFirst.get(data.id) ?? 0)) throw new Error(`simulated failure ${n} for ${data.id}`);
    this.received.push({ data, metadata });
  }
}

/**
 * bindings.rabbitmq against the real broker: the queue is declared with
 * Dapr's settings (checked with rabbitmqctl), `create` writes Dapr's message
 * (checked with a raw amqplib `basic.get`), and the input side delivers,
 * requeues on failure and acks on success.
 */
describe('bindings.rabbitmq (real RabbitMQ)', () => {
  const run = uniqueSuffix();
  const outQueue = `bindtest-${run}-out`;
  const ioQueue = `bindtest-${run}-io`;
  let app: TestingModule;
  let raw: ChannelModel;

  beforeAll(async () => {
    raw = await connect(RABBITMQ_URL);
    app = await bootBindingsApp(
      [
        {
          name: 'jobs-out',
          type: 'bindings.rabbitmq',
          metadata: { host: RABBITMQ_URL, queueName: outQueue, durable: 'true', ttlInSeconds: '60', maxPriority: '5', prefetchCount: '3' },
        },
        { name: 'jobs-in', type: 'bindings.rabbitmq', metadata: { host: RABBITMQ_URL, queueName: ioQueue, deleteWhenUnused: 'true', requeueDelay: '20ms' } },
      ],
      [RabbitEvents],
    );
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    const ch = await raw.createChannel();
    await ch.deleteQueue(outQueue).catch(() => undefined);
    await raw.close();
  });

  it('declares the queue with durable, auto-delete, exclusive, x-message-ttl and x-max-priority as Dapr does', async () => {
    const [q] = await brokerQueues(outQueue);
    expect(q).toEqual({ name: outQueue, durable: true, auto_delete: false, exclusive: false, arguments: { 'x-message-ttl': 60_000, 'x-max-priority': 5 } });
    const [io] = await brokerQueues(ioQueue);
    expect(io).toMatchObject({ durable: false, auto_delete: true, arguments: {} });
  }, 30_000);

  it('create publishes persistent text/plain through the default exchange, metadata as headers, ttl and priority per request', async () => {
    const bindings = app.get(BindingsService);
    const metadata = { 'x-origin': 'test', ttlInSeconds: '30', priority: '3', messageID: 'm-1', correlationID: 'c-1', type: 'job.created' };
    expect(await bindings.invoke('jobs-out', 'create', { id: 'a1', total: 3 }, metadata)).toEqual({ data: undefined, metadata: {} });
    const ch = await raw.createChannel();
    let got: GetMessage | false = false;
    await waitFor(async () => (got = await ch.get(outQueue, { noAck: true })) !== false);
    const msg = got as unknown as GetMessage;
    expect(JSON.parse(msg.content.toString())).toEqual({ id: 'a1', total: 3 });
    expect(msg.fields.exchange).toBe('');
    expect(msg.fields.routingKey).toBe(outQueue);
    expect(msg.properties).toMatchObject({
      deliveryMode: 2,
      contentType: 'text/plain',
      expiration: '30000',
      priority: 3,
      messageId: 'm-1',
      correlationId: 'c-1',
      type: 'job.created',
      headers: metadata,
    });
    await bindings.invoke('jobs-out', 'create', 'plain', { contentType: 'application/x-custom' });
    let second: GetMessage | false = false;
    await waitFor(async () => (second = await ch.get(outQueue, { noAck: true })) !== false);
    expect((second as unknown as GetMessage).properties.contentType).toBe('application/x-custom');
    expect((second as unknown as GetMessage).properties.expiration).toBeUndefined();
    await ch.close();
  }, 30_000);

  it('rejects a request with a TTL that is not one, and operations other than create', async () => {
    const bindings = app.get(BindingsService);
    await expect(bindings.invoke('jobs-out', 'create', 1, { ttlInSeconds: 'soon' })).rejects.toThrow(/TTL/);
    await expect(bindings.invoke('jobs-out', 'create', 1, { ttlInSeconds: 'soon' })).rejects.toBeInstanceOf(BindingRequestError);
    await expect(bindings.invoke('jobs-out', 'get')).rejects.toThrow(/supported operations: create/);
  });

  it('input delivers messages with their string headers as metadata and requeues a failing one until it succeeds', async () => {
    const events = app.get(RabbitEvents);
    const ch = await raw.createChannel();
    events.failFirst.set('r1', 5);
    ch.sendToQueue(ioQueue, Buffer.from(JSON.stringify({ id: 'r1' })), { headers: { tenant: 'acme', 'with space': 'yes', count: 7 } });
    ch.sendToQueue(ioQueue, Buffer.from(JSON.stringify({ id: 'r2' })));
    await waitFor(() => events.received.some((e) => (e.data as { id: string }).id === 'r2') && events.received.some((e) => (e.data as { id: string }).id === 'r1'), 20_000);
    expect(events.attempts.get('r1')).toBe(6);
    const r1 = events.received.find((e) => (e.data as { id: string }).id === 'r1')!;
    // Only string headers pass, keys query-escaped as Dapr does.
    expect(r1.metadata).toEqual({ tenant: 'acme', 'with+space': 'yes' });
    // Acked: nothing is left on the queue.
    const check = await ch.checkQueue(ioQueue);
    expect(check.messageCount).toBe(0);
    await ch.close();
  }, 30_000);

  it('fails start-up with a typed error naming the field for a host that is not an AMQP URI', async () => {
    await expect(
      bootBindingsApp([{ name: 'bad', type: 'bindings.rabbitmq', metadata: { host: 'http://127.0.0.1:5672', queueName: `bad-${run}` } }]),
    ).rejects.toThrow(ComponentConfigError);
  });
});
