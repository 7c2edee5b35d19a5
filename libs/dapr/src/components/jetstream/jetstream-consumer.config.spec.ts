import type { ComponentMetadata } from '../../spi/component.spi';
import { parseJetStreamSettings } from './jetstream-connection';
import { consumerConfigFor } from './jetstream-consumer.config';
import { cloudEventId } from './jetstream.pubsub';
import { subjectCovers } from './subject-match';

const md = (properties: Record<string, string>): ComponentMetadata => ({
  name: 'js',
  type: 'pubsub.jetstream',
  version: 'v1',
  properties: { natsURL: 'nats://127.0.0.1:4222', ...properties },
  appId: 'app',
});

describe('JetStream consumer config (Dapr Subscribe)', () => {
  it('sends only what is set, with the policies in the server words', () => {
    expect(consumerConfigFor(parseJetStreamSettings(md({})), 'orders', '_INBOX.x')).toEqual({
      deliver_subject: '_INBOX.x',
      deliver_policy: 'all',
      ack_policy: 'explicit',
      replay_policy: 'instant',
      filter_subject: 'orders',
    });
  });

  it('maps every Dapr option (durations to nanoseconds, startTime to RFC 3339)', () => {
    const s = parseJetStreamSettings(
      md({
        durableName: 'd',
        queueGroupName: 'q',
        deliverPolicy: 'time',
        startTime: '1700000000',
        flowControl: 'true',
        ackWait: '30',
        maxDeliver: '5',
        backOff: '[1s, 2s]',
        maxAckPending: '10',
        replicas: '3',
        memoryStorage: 'yes',
        rateLimit: '1000',
        heartbeat: '5s',
        ackPolicy: 'all',
      }),
    );
    expect(consumerConfigFor(s, 'a.b', 'in')).toEqual({
      deliver_subject: 'in',
      durable_name: 'd',
      deliver_group: 'q',
      deliver_policy: 'by_start_time',
      opt_start_time: '2023-11-14T22:13:20.000Z',
      ack_policy: 'all',
      replay_policy: 'instant',
      filter_subject: 'a.b',
      flow_control: true,
      ack_wait: 30_000_000_000,
      max_deliver: 5,
      backoff: [1_000_000_000, 2_000_000_000],
      max_ack_pending: 10,
      num_replicas: 3,
      mem_storage: true,
      rate_limit_bps: 1000,
      idle_heartbeat: 5_000_000_000,
    });
    expect(consumerConfigFor(parseJetStreamSettings(md({ deliverPolicy: 'sequence', startSequence: '7' })), 't', 'i')).toMatchObject({
      deliver_policy: 'by_start_sequence',
      opt_start_seq: 7,
    });
  });

  it('lets a subscription override the component', () => {
    const s = parseJetStreamSettings(md({ durableName: 'component' }), { durableName: 'mine', consumerID: 'ignored' });
    expect(s.durableName).toBe('mine');
  });
});

describe('subjectCovers', () => {
  it.each([
    ['orders', 'orders', true],
    ['orders', 'orders.x', false],
    ['orders.*', 'orders.x', true],
    ['orders.*', 'orders.x.y', false],
    ['orders.>', 'orders.x.y', true],
    ['orders.>', 'orders', false],
    ['>', 'a', true],
    ['*.b', 'a.b', true],
    ['*.b', 'a.c', false],
  ])('%s covers %s: %s', (pattern, subject, expected) => {
    expect(subjectCovers(pattern, subject)).toBe(expected);
  });
});

describe('cloudEventId (Nats-Msg-Id)', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  it('reads the id of a JSON object, and nothing else', () => {
    expect(cloudEventId(bytes(' {"specversion":"1.0","id":"abc","data":{"id":"inner"}}'))).toBe('abc');
    expect(cloudEventId(bytes('{"id":5}'))).toBeUndefined();
    expect(cloudEventId(bytes('{"id":""}'))).toBeUndefined();
    expect(cloudEventId(bytes('["id"]'))).toBeUndefined();
    expect(cloudEventId(bytes('plain text'))).toBeUndefined();
    expect(cloudEventId(bytes('{"id":"broken"'))).toBeUndefined();
  });
});
