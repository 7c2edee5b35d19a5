import type { Channel } from 'amqplib';

/** Component settings that shape the broker objects (components-contrib `pubsub/rabbitmq`). */
export interface RabbitTopologySettings {
  exchangeKind: string;
  durable: boolean;
  /** `deletedWhenUnused`: exchanges and queues are auto-delete. */
  autoDelete: boolean;
  enableDeadLetter: boolean;
  /** Component `maxLen` / `maxLenBytes` (0: unset). */
  maxLen: number;
  maxLenBytes: number;
}

/** What one subscription's metadata adds to its queue. */
export interface RabbitQueueOptions {
  queueType: 'classic' | 'quorum';
  maxPriority?: number;
  singleActiveConsumer: boolean;
  maxLen?: number;
  maxLenBytes?: number;
}

/** Dapr's names of the dead-letter exchange and queue of a subscription queue. */
export function deadLetterNames(queue: string): { exchange: string; queue: string } {
  return { exchange: `dlx-${queue}`, queue: `dlq-${queue}` };
}

/** `formatQueueDeclareArgs`: the component's length limits, on queues and dead-letter queues alike. */
function lengthArgs(t: RabbitTopologySettings, into: Record<string, unknown>): Record<string, unknown> {
  if (t.maxLen > 0) into['x-max-length'] = t.maxLen;
  if (t.maxLenBytes > 0) into['x-max-length-bytes'] = t.maxLenBytes;
  return into;
}

/**
 * The arguments of a subscription queue, built in Dapr's order so a queue a
 * Dapr sidecar declared is equivalent to ours (RabbitMQ refuses a redeclare
 * with other arguments): dead-letter exchange, component length limits,
 * `x-max-priority`, `x-queue-type` (always set, `classic` by default),
 * `x-single-active-consumer`, then the subscription's own length limits.
 */
export function subscriptionQueueArgs(t: RabbitTopologySettings, q: RabbitQueueOptions, queue: string): Record<string, unknown> {
  const args: Record<string, unknown> = t.enableDeadLetter ? { 'x-dead-letter-exchange': deadLetterNames(queue).exchange } : {};
  lengthArgs(t, args);
  if (q.maxPriority !== undefined) args['x-max-priority'] = Math.min(255, q.maxPriority);
  args['x-queue-type'] = q.queueType;
  if (q.singleActiveConsumer) args['x-single-active-consumer'] = true;
  if (q.maxLenBytes !== undefined) args['x-max-length-bytes'] = q.maxLenBytes;
  if (q.maxLen !== undefined) args['x-max-length'] = q.maxLen;
  return args;
}

/**
 * Declares what a subscription consumes, as Dapr's `prepareSubscription`:
 * the topic's exchange; with enableDeadLetter the fanout exchange
 * `dlx-<queue>` (always durable) and the lazy, durable queue `dlq-<queue>`
 * bound to it; the queue; and one binding per routing key (comma separated,
 * `""` when none). A failure rejects with the broker's reason (and closes the
 * channel, as AMQP does).
 */
export async function declareSubscription(
  ch: Channel,
  t: RabbitTopologySettings,
  topic: string,
  queue: string,
  q: RabbitQueueOptions,
  routingKey: string,
): Promise<void> {
  await ch.assertExchange(topic, t.exchangeKind, { durable: t.durable, autoDelete: t.autoDelete });
  if (t.enableDeadLetter) {
    const dl = deadLetterNames(queue);
    await ch.assertExchange(dl.exchange, 'fanout', { durable: true, autoDelete: t.autoDelete });
    await ch.assertQueue(dl.queue, { durable: true, autoDelete: t.autoDelete, arguments: lengthArgs(t, { 'x-queue-mode': 'lazy' }) });
    await ch.bindQueue(dl.queue, dl.exchange, '');
  }
  await ch.assertQueue(queue, { durable: t.durable, autoDelete: t.autoDelete, arguments: subscriptionQueueArgs(t, q, queue) });
  for (const key of routingKey.split(',')) await ch.bindQueue(queue, topic, key);
}
