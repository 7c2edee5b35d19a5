import type { ConsumerConfig } from 'nats';
import type { JetStreamSettings } from './jetstream-connection';

const NS_PER_MS = 1_000_000;

/**
 * The consumer Dapr's component adds for one subscription (`Subscribe` in
 * components-contrib pubsub/jetstream): a push consumer delivering to a fresh
 * inbox, filtered on the topic, durable and grouped when configured, and
 * carrying only the options that are set — unset ones take the server's
 * defaults. Apps of Dapr and nest-dapr sharing a durable consumer therefore
 * ask the server for the same consumer.
 */
export function consumerConfigFor(s: JetStreamSettings, topic: string, deliverSubject: string): Partial<ConsumerConfig> {
  const c: Partial<ConsumerConfig> = {
    deliver_subject: deliverSubject,
    deliver_policy: DELIVER_POLICY[s.deliverPolicy],
    ack_policy: s.ackPolicy,
    replay_policy: 'instant' as ConsumerConfig['replay_policy'],
    filter_subject: topic,
  } as Partial<ConsumerConfig>;
  if (s.durableName) c.durable_name = s.durableName;
  if (s.queueGroupName) c.deliver_group = s.queueGroupName;
  if (s.startTime !== undefined) c.opt_start_time = new Date(s.startTime * 1000).toISOString();
  if (s.startSequence > 0) c.opt_start_seq = s.startSequence;
  if (s.flowControl) c.flow_control = true;
  if (s.ackWait) c.ack_wait = s.ackWait * NS_PER_MS;
  if (s.maxDeliver) c.max_deliver = s.maxDeliver;
  if (s.backOffMs.length) c.backoff = s.backOffMs.map((ms) => ms * NS_PER_MS);
  if (s.maxAckPending) c.max_ack_pending = s.maxAckPending;
  if (s.replicas) c.num_replicas = s.replicas;
  if (s.memoryStorage) c.mem_storage = true;
  if (s.rateLimit) c.rate_limit_bps = s.rateLimit;
  if (s.heartbeat) c.idle_heartbeat = s.heartbeat * NS_PER_MS;
  return c;
}

/** Dapr's policy words as the server's JSON values. */
const DELIVER_POLICY = {
  all: 'all',
  last: 'last',
  new: 'new',
  sequence: 'by_start_sequence',
  time: 'by_start_time',
} as unknown as Record<JetStreamSettings['deliverPolicy'], ConsumerConfig['deliver_policy']>;
