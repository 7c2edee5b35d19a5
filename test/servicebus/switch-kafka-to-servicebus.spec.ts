/**
 * The headline promise, proven: one publisher and one set of @Subscribe
 * handlers run first on Kafka (the real broker on 127.0.0.1:9092) and then on
 * Azure Service Bus (the real @azure/service-bus client against the AMQP test
 * peer). Only the component YAML differs (fixtures/kafka vs fixtures/servicebus);
 * the handlers see the same data, the same number of attempts (in-process
 * retries, then broker redelivery), and the same dead-lettered events.
 */
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { join } from 'node:path';
import { DaprModule, DropEvent, PubSubService, Subscribe, SubscriptionStatus, type CloudEvent } from 'nest-dapr';
import { runId, waitFor } from '../pubsub/pubsub-test-kit';
import { ServiceBusTestPeer } from '../support/servicebus-peer';

jest.setTimeout(90_000);

const RUN = runId();
const PUBSUB = 'orders-pubsub';
const ORDERS = `switch-orders-${RUN}`;
const PAYMENTS = `switch-payments-${RUN}`;
const PAYMENTS_DEAD = `switch-payments-dead-${RUN}`;

interface Order {
  id: string;
  /** How many attempts fail before one succeeds. */
  failures: number;
}

/** What the handlers observed in one run. */
class Observations {
  attempts = new Map<string, number>();
  succeeded: string[] = [];
  deadLettered: { id: string; data: unknown; originalTopic: string }[] = [];

  attempt(id: string): number {
    const n = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, n);
    return n;
  }

  summary() {
    return {
      attempts: Object.fromEntries([...this.attempts.entries()].sort(([a], [b]) => a.localeCompare(b))),
      succeeded: [...this.succeeded].sort(),
      deadLettered: [...this.deadLettered].sort((a, b) => a.id.localeCompare(b.id)),
    };
  }
}

let seen = new Observations();

// ---- the application code: identical for both runs ----

@Injectable()
class OrderHandlers {
  @Subscribe({ pubsub: PUBSUB, topic: ORDERS })
  onOrder(order: Order) {
    const attempt = seen.attempt(order.id);
    if (attempt <= order.failures) throw new Error(`order ${order.id} attempt ${attempt} fails`);
    seen.succeeded.push(order.id);
  }

  @Subscribe({ pubsub: PUBSUB, topic: PAYMENTS, deadLetterTopic: PAYMENTS_DEAD })
  onPayment(payment: { id: string; kind: 'ok' | 'poison' | 'refused' | 'retry-once' }) {
    const attempt = seen.attempt(payment.id);
    if (payment.kind === 'poison') throw new Error('cannot process payment');
    if (payment.kind === 'refused') throw new DropEvent('payment refused');
    if (payment.kind === 'retry-once' && attempt === 1) return SubscriptionStatus.RETRY;
    seen.succeeded.push(payment.id);
    return SubscriptionStatus.SUCCESS;
  }

  // Raw: the dead-letter topic carries the original CloudEvent, which arrives as the data.
  @Subscribe({ pubsub: PUBSUB, topic: PAYMENTS_DEAD, metadata: { rawPayload: 'true' } })
  onDeadPayment(original: CloudEvent<{ id: string }>) {
    seen.deadLettered.push({ id: original.data!.id, data: original.data, originalTopic: original.topic });
  }
}

async function publishEverything(app: INestApplication): Promise<void> {
  const pubsub = app.get(PubSubService);
  await pubsub.publish(PUBSUB, ORDERS, { id: 'o-ok', failures: 0 });
  // Fails twice: retried in-process by the inbound policy (3 retries), then succeeds.
  await pubsub.publish(PUBSUB, ORDERS, { id: 'o-flaky', failures: 2 });
  // Fails 5 times: the 4 in-process attempts run out, the broker redelivers, attempt 6 succeeds.
  await pubsub.publish(PUBSUB, ORDERS, { id: 'o-stubborn', failures: 5 });
  await pubsub.publish(PUBSUB, PAYMENTS, { id: 'p-ok', kind: 'ok' });
  await pubsub.publish(PUBSUB, PAYMENTS, { id: 'p-poison', kind: 'poison' });
  await pubsub.publish(PUBSUB, PAYMENTS, { id: 'p-refused', kind: 'refused' });
  await pubsub.publish(PUBSUB, PAYMENTS, { id: 'p-retry', kind: 'retry-once' });
}

async function runWith(profile: 'kafka' | 'servicebus') {
  seen = new Observations();
  const moduleRef = await Test.createTestingModule({
    imports: [DaprModule.forRoot({ appId: `switch-app-${RUN}`, componentsPath: join(__dirname, 'fixtures', profile) })],
    providers: [OrderHandlers],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.init();
  try {
    await publishEverything(app);
    await waitFor(
      () => seen.succeeded.length === 5 && seen.deadLettered.length === 2,
      () => `${profile}: succeeded ${JSON.stringify(seen.succeeded)}, dead-lettered ${seen.deadLettered.length}`,
      45_000,
    );
    return seen.summary();
  } finally {
    await app.close();
  }
}

describe('switching Kafka → Azure Service Bus is a YAML change', () => {
  let peer: ServiceBusTestPeer;

  beforeAll(async () => {
    peer = await ServiceBusTestPeer.start({ autoCreate: 'topic' });
    process.env.SWITCH_SERVICEBUS_CONNECTION_STRING = peer.connectionString;
  });
  afterAll(async () => {
    delete process.env.SWITCH_SERVICEBUS_CONNECTION_STRING;
    await peer?.close();
  });

  it('gives identical handler results, retries and dead-letters on both brokers', async () => {
    const onKafka = await runWith('kafka');
    const onServiceBus = await runWith('servicebus');

    const expected = {
      attempts: { 'o-flaky': 3, 'o-ok': 1, 'o-stubborn': 6, 'p-ok': 1, 'p-poison': 4, 'p-refused': 1, 'p-retry': 2 },
      succeeded: ['o-flaky', 'o-ok', 'o-stubborn', 'p-ok', 'p-retry'],
      deadLettered: [
        { id: 'p-poison', data: { id: 'p-poison', kind: 'poison' }, originalTopic: PAYMENTS },
        { id: 'p-refused', data: { id: 'p-refused', kind: 'refused' }, originalTopic: PAYMENTS },
      ],
    };
    expect(onKafka).toEqual(expected);
    expect(onServiceBus).toEqual(onKafka);
    // It really was Service Bus the second time: the peer saw the SDK's CBS tokens and the broker redelivery.
    expect(peer.tokens.some((t) => t.endsWith(`/${ORDERS}`))).toBe(true);
    expect(peer.eventsOf('abandon').length).toBeGreaterThanOrEqual(1);
  });
});
