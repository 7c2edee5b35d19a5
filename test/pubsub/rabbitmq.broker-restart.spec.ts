import { Injectable, type INestApplication, type Type } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { promisify } from 'node:util';
import { connect as amqpConnect } from 'amqplib';
import { PubSubService, Subscribe, type ComponentDefinition } from 'nest-dapr';
import { startApp } from './pubsub-test-kit';
import { RABBITMQ_URL, sleep, uniqueName, waitFor } from './support/broker-test-utils';

const run = promisify(execFile);

/**
 * Dapr's RabbitMQ certification "broker restart" scenario on the local
 * broker: publishing continues (retrying failed publishes) while RabbitMQ is
 * stopped (`rabbitmqctl stop`) and started again (`rabbitmq-server
 * -detached`). With durable exchanges and queues that outlive their consumer,
 * persistent messages (deliveryMode 2) and publisher confirms, every publish
 * the broker confirmed must reach the subscriber, which reconnects on its own.
 *
 * The test fails if the broker did not really go down (port 5672 still
 * answering) or did not come back. It always starts the broker again.
 */
const PORT = Number(new URL(RABBITMQ_URL).port || 5672);
const HOST = new URL(RABBITMQ_URL).hostname;

function consumerFor(topic: string, received: Set<string>): Type<unknown> {
  @Injectable()
  class RestartConsumer {
    @Subscribe({ pubsub: 'rabbitps', topic })
    handle(data: string): void {
      received.add(data);
    }
  }
  return RestartConsumer;
}

function portOpen(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: HOST, port: PORT });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopBroker(): Promise<void> {
  await run('rabbitmqctl', ['stop'], { timeout: 120_000 });
  // Really down: the node is gone and nothing accepts AMQP connections.
  await waitFor(async () => !(await portOpen()), 'port 5672 to close', 30_000);
  const status = await run('rabbitmqctl', ['status'], { timeout: 60_000 }).then(() => 'running', () => 'stopped');
  if (status !== 'stopped') throw new Error('rabbitmqctl stop returned but the node still answers rabbitmqctl status');
}

async function startBroker(): Promise<void> {
  if (await portOpen()) return;
  await run('rabbitmq-server', ['-detached'], { timeout: 60_000 });
  // -detached returns before the node registers; await_startup fails until it has.
  await waitFor(
    () => run('rabbitmqctl', ['await_startup', '--timeout', '30'], { timeout: 60_000 }).then(() => true, () => false),
    'rabbitmqctl await_startup',
    180_000,
  );
  await waitFor(portOpen, 'port 5672 to accept connections', 60_000);
}

describe('pubsub.rabbitmq across a broker restart', () => {
  let app: INestApplication | undefined;
  let topic = '';

  afterAll(async () => {
    await app?.close();
    // Never leave the broker down.
    await startBroker();
    const conn = await amqpConnect(RABBITMQ_URL);
    const ch = await conn.createChannel();
    await ch.deleteQueue(`${topic}-app-${topic}`).catch(() => undefined);
    await ch.deleteExchange(topic).catch(() => undefined);
    await conn.close().catch(() => undefined);
  }, 300_000);

  it('delivers every confirmed publish while the broker is stopped and started', async () => {
    expect(await portOpen()).toBe(true);
    topic = uniqueName('restart');
    const component: ComponentDefinition = {
      name: 'rabbitps',
      type: 'pubsub.rabbitmq',
      metadata: {
        connectionString: RABBITMQ_URL,
        durable: 'true',
        deletedWhenUnused: 'false',
        deliveryMode: '2',
        publisherConfirm: 'true',
        reconnectWaitSeconds: '1',
        prefetchCount: '50',
      },
    };
    const received = new Set<string>();
    app = await startApp({ appId: `${topic}-app`, components: [component], providers: [consumerFor(topic, received)] });
    const pubsub = app.get(PubSubService);

    // Paced publishing that keeps going until well after the broker is back, so the outage
    // always falls in the middle of the stream, however long stop/start take.
    const confirmed: string[] = [];
    let failedAttempts = 0;
    let downFrom = Infinity;
    let downTo = Infinity;
    let failedDuringOutage = false;
    let confirmedAfterRestart = 0;
    let restart: Promise<void> | undefined;
    let restartError: unknown;
    for (let i = 0; !(restart && downTo < Infinity && confirmedAfterRestart >= 50) && restartError === undefined; i++) {
      const msg = `m${i}`;
      const deadline = Date.now() + 180_000;
      for (;;) {
        const started = Date.now();
        try {
          await pubsub.publish('rabbitps', topic, msg);
          confirmed.push(msg);
          if (started > downTo) confirmedAfterRestart++;
          break;
        } catch (err) {
          failedAttempts++;
          if (Date.now() > downFrom && started < downTo) failedDuringOutage = true;
          if (Date.now() > deadline) throw err;
          await sleep(250);
        }
      }
      if (i === 100) {
        restart = (async () => {
          await stopBroker();
          downFrom = Date.now();
          await startBroker();
          downTo = Date.now();
        })();
        restart.catch((err: unknown) => (restartError = err));
      }
      if (i >= 100) await sleep(20);
    }
    await restart; // rethrows a failed stop/start
    // The broker really went away under the publisher, and publishing recovered.
    expect(failedDuringOutage).toBe(true);
    expect(confirmedAfterRestart).toBeGreaterThanOrEqual(50);
    console.log(`broker down ${downTo - downFrom} ms; ${confirmed.length} publishes confirmed, ${failedAttempts} attempts failed`);
    await waitFor(() => confirmed.every((m) => received.has(m)), `all ${confirmed.length} confirmed publishes delivered`, 120_000);
  }, 600_000);
});
