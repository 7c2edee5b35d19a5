/**
 * The raw-client side of the RabbitMQ rows of the pub/sub benchmark: plain
 * amqplib doing what pubsub.rabbitmq does with the same settings — declare
 * the topic's fanout exchange once, publish the Dapr CloudEvent JSON as
 * text/plain (awaiting the broker's confirm when `confirm`), and consume a
 * queue bound to the exchange with the same prefetch, decoding the envelope,
 * calling the handler and acking after it.
 */
import { connect, type Channel, type ConfirmChannel } from 'amqplib';
import { once } from 'node:events';
import { cloudEvent, type OnData, type RawSide } from './pubsub.baselines';

export async function rawRabbit(opts: {
  url: string;
  /** Exchange (topic) the consumer reads. */
  topic: string;
  queue: string;
  prefetch: number;
  confirm: boolean;
  onData: OnData;
}): Promise<RawSide> {
  // Same socket options as the driver (Nagle off: confirms and acks are small frames).
  const conn = await connect(opts.url, { noDelay: true });
  const pub: Channel | ConfirmChannel = opts.confirm ? await conn.createConfirmChannel() : await conn.createChannel();
  const declared = new Map<string, Promise<unknown>>();
  const exchange = (topic: string) => {
    let p = declared.get(topic);
    if (!p) declared.set(topic, (p = pub.assertExchange(topic, 'fanout', { durable: true, autoDelete: true })));
    return p;
  };
  const sub = await conn.createChannel();
  await sub.assertExchange(opts.topic, 'fanout', { durable: true, autoDelete: true });
  await sub.assertQueue(opts.queue, { durable: true, autoDelete: true, arguments: { 'x-queue-type': 'classic' } });
  await sub.bindQueue(opts.queue, opts.topic, '');
  await sub.prefetch(opts.prefetch);
  await sub.consume(opts.queue, (msg) => {
    if (!msg) return;
    const ce = JSON.parse(msg.content.toString()) as { data: unknown };
    opts.onData(ce.data);
    sub.ack(msg);
  });
  return {
    publish: async (topic, data) => {
      await exchange(topic);
      const body = cloudEvent('bench', topic, 'rabbitps', data);
      if (opts.confirm) {
        await new Promise<void>((resolve, reject) =>
          (pub as ConfirmChannel).publish(topic, '', body, { contentType: 'text/plain' }, (err: unknown) => (err ? reject(err) : resolve())),
        );
      } else if (!pub.publish(topic, '', body, { contentType: 'text/plain' })) {
        await once(pub, 'drain');
      }
    },
    close: async () => {
      await conn.close();
    },
  };
}
