import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DaprModule, PubSubService, Subscribe, type CloudEvent } from 'nest-dapr';
import { Recorder, runId, sleep, waitFor } from './pubsub-test-kit';

/** Deliveries run under the component's inbound policy from the Resiliency spec. */
describe('pub/sub deliveries under the Resiliency spec', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('retries a failing handler exactly as the inbound retry policy says, then dead-letters', async () => {
    const run = runId();
    const rec = new Recorder<CloudEvent>();
    const topic = `res-${run}`;
    const dead = `res-dead-${run}`;
    @Injectable()
    class Handlers {
      @Subscribe({ pubsub: 'memps', topic, deadLetterTopic: dead })
      on(_d: unknown, event: CloudEvent) {
        rec.add('attempt', event);
        throw new Error('down');
      }
      @Subscribe({ pubsub: 'memps', topic: dead })
      dlq(_d: unknown, event: CloudEvent) {
        rec.add('dead', event);
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        DaprModule.forRoot({
          appId: 'res-app',
          components: [{ name: 'memps', type: 'pubsub.in-memory' }],
          resiliency: {
            policies: { retries: { twice: { policy: 'constant', duration: '10ms', maxRetries: 2 } } },
            targets: { components: { memps: { inbound: { retry: 'twice' } } } },
          },
        }),
      ],
      providers: [Handlers],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    await app.get(PubSubService).publish('memps', topic, { n: 1 });
    await waitFor(() => rec.count('dead') === 1, 'the dead-lettered event');
    await sleep(300);
    // One attempt plus maxRetries (2) retries.
    expect(rec.count('attempt')).toBe(3);
    expect(rec.get('dead')[0].data).toEqual({ n: 1 });
  });
});
