import { Injectable, type INestApplication, type Type } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PubSubService, Subscribe, type ComponentDefinition } from 'nest-dapr';
import { startApp } from './pubsub-test-kit';
import { KAFKA_BROKERS, sleep, uniqueName, waitFor } from './support/broker-test-utils';

const run = promisify(execFile);
const kafkaScript = join(__dirname, '..', '..', 'scripts', 'kafka.sh');

/**
 * Dapr's Kafka certification "broker restart" scenario on our single broker:
 * publishing continues (retrying failed publishes) while the broker is
 * stopped and started again with `scripts/kafka.sh` (which keeps its data).
 * Every publish the broker acknowledged must reach the subscriber.
 *
 * The broker is shared with other suites, so the outage is kept as short as
 * the script allows and the broker is always started again, even on failure.
 */
function consumerFor(topic: string, received: Set<string>): Type<unknown> {
  @Injectable()
  class RestartConsumer {
    @Subscribe({ pubsub: 'kafkaps', topic })
    handle(data: string): void {
      received.add(data);
    }
  }
  return RestartConsumer;
}

async function kafka(command: 'stop' | 'start' | 'status'): Promise<void> {
  await run('bash', [kafkaScript, command], { timeout: 150_000 });
}

describe('pubsub.kafka across a broker restart', () => {
  let app: INestApplication | undefined;

  afterAll(async () => {
    await app?.close();
    // Never leave the shared broker down.
    await kafka('start');
  }, 180_000);

  it('delivers every acknowledged publish while the broker is stopped and started', async () => {
    const id = uniqueName('restart');
    const topic = `${id}-events`;
    const component: ComponentDefinition = {
      name: 'kafkaps',
      type: 'pubsub.kafka',
      metadata: {
        brokers: KAFKA_BROKERS,
        initialOffset: 'oldest',
        autoCreateTopics: 'true',
        numPartitions: '2',
        heartbeatInterval: '500ms',
        sessionTimeout: '6s',
      },
    };
    const received = new Set<string>();
    app = await startApp({ appId: `${id}-app`, components: [component], providers: [consumerFor(topic, received)] });
    const pubsub = app.get(PubSubService);

    // Publishing is paced and keeps going until well after the broker is back, so the
    // outage always falls in the middle of the stream, however long stop/start take.
    const acknowledged: string[] = [];
    let failedAttempts = 0;
    let downFrom = Infinity;
    let downTo = Infinity;
    let inFlightDuringOutage = false;
    let restart: Promise<void> | undefined;
    let ackedAfterRestart = 0;
    let restartError: unknown;
    for (let i = 0; !(restart && downTo < Infinity && ackedAfterRestart >= 50) && restartError === undefined; i++) {
      const msg = `m${i}`;
      const deadline = Date.now() + 120_000;
      for (;;) {
        const started = Date.now();
        try {
          await pubsub.publish('kafkaps', topic, msg);
          acknowledged.push(msg);
          if (started < downTo && Date.now() > downFrom) inFlightDuringOutage = true;
          if (started > downTo) ackedAfterRestart++;
          break;
        } catch (err) {
          failedAttempts++;
          if (started < downTo && Date.now() > downFrom) inFlightDuringOutage = true;
          if (Date.now() > deadline) throw err;
          await sleep(250);
        }
      }
      if (i === 100) {
        restart = (async () => {
          await kafka('stop');
          downFrom = Date.now();
          // kafka.sh only stops the broker this checkout started; one started elsewhere keeps
          // listening and the "restart" would prove nothing.
          const stillUp = await kafka('status').then(() => true, () => false);
          if (stillUp) throw new Error('kafka.sh stop left 127.0.0.1:9092 up: the broker was started by another checkout; stop it and let this one start its own');
          await kafka('start');
          downTo = Date.now();
        })();
        restart.catch((err: unknown) => (restartError = err));
      }
      if (i >= 100) await sleep(20);
    }
    await restart; // rethrows a failed stop/start
    // The broker really went away while a publish was outstanding, and publishing recovered.
    expect(inFlightDuringOutage).toBe(true);
    console.log(`broker down ${downTo - downFrom} ms; ${acknowledged.length} publishes acknowledged, ${failedAttempts} attempts failed`);
    await waitFor(() => acknowledged.every((m) => received.has(m)), `all ${acknowledged.length} acknowledged publishes delivered`, 90_000);
  }, 300_000);
});
