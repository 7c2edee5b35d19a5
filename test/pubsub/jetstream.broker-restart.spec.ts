import { Injectable, type INestApplication, type Type } from '@nestjs/common';
import { PubSubService, Subscribe, type ComponentDefinition } from 'nest-dapr';
import { startApp } from './pubsub-test-kit';
import { sleep, uniqueName, waitFor } from './support/broker-test-utils';
import { PrivateNats } from './support/private-nats';

/**
 * Dapr's broker-restart scenario on JetStream, against a private nats-server
 * (free port, own store directory) so the shared one is never disturbed: the
 * server is SIGKILLed mid-stream while messages are in flight and started
 * again on the same store. Publishing retries through the outage; every
 * publish the server acknowledged must reach the subscriber (the durable
 * consumer and the file-backed stream survive; unacked deliveries come again).
 */
function consumerFor(topic: string, received: Set<string>): Type<unknown> {
  @Injectable()
  class RestartConsumer {
    @Subscribe({ pubsub: 'jsps', topic })
    async handle(data: string): Promise<void> {
      await sleep(2);
      received.add(data);
    }
  }
  return RestartConsumer;
}

describe('pubsub.jetstream across a broker restart', () => {
  let server: PrivateNats | undefined;
  let app: INestApplication | undefined;

  afterAll(async () => {
    await app?.close();
    await server?.stop();
  }, 60_000);

  it('delivers every acknowledged publish when the server is killed and started again', async () => {
    server = await PrivateNats.start();
    const id = uniqueName('restart');
    const topic = `${id}.events`;
    const component: ComponentDefinition = {
      name: 'jsps',
      type: 'pubsub.jetstream',
      metadata: {
        natsURL: server.url,
        streamName: `${id}-stream`,
        autoCreateStream: 'true',
        durableName: `${id}-durable`,
        ackWait: '1s',
        concurrency: 'parallel',
      },
    };
    const received = new Set<string>();
    app = await startApp({ appId: `${id}-app`, components: [component], providers: [consumerFor(topic, received)] });
    const pubsub = app.get(PubSubService);

    const acknowledged: string[] = [];
    let failedAttempts = 0;
    let ackedAfterRestart = 0;
    let restarted = false;
    let downMs = 0;
    for (let i = 0; !(restarted && ackedAfterRestart >= 50); i++) {
      const msg = `m${i}`;
      const deadline = Date.now() + 90_000;
      for (;;) {
        try {
          await pubsub.publish('jsps', topic, msg);
          acknowledged.push(msg);
          if (restarted) ackedAfterRestart++;
          break;
        } catch (err) {
          failedAttempts++;
          if (Date.now() > deadline) throw err;
          await sleep(250);
        }
      }
      if (i === 150) {
        const from = Date.now();
        await server.kill();
        // A publish while the server is down must fail, or the outage was not real.
        await expect(pubsub.publish('jsps', topic, 'during-outage')).rejects.toThrow();
        await sleep(500);
        await server.restart();
        downMs = Date.now() - from;
        restarted = true;
      }
    }
    console.log(`nats-server down ${downMs} ms; ${acknowledged.length} publishes acknowledged, ${failedAttempts} attempts failed`);
    await waitFor(() => acknowledged.every((m) => received.has(m)), `all ${acknowledged.length} acknowledged publishes delivered`, 90_000);
  }, 240_000);
});
