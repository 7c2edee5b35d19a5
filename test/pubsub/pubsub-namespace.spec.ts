import { Injectable, type INestApplication, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DaprModule, PubSubService, Subscribe, type CloudEvent } from 'nest-dapr';
import { Recorder, runId, sleep, waitFor } from './pubsub-test-kit';

/**
 * A component whose metadata uses `{namespace}` is namespace-scoped (Dapr §0):
 * broker topics get the namespace as prefix, so apps of different namespaces
 * sharing one broker do not see each other's events.
 */
describe('namespace-scoped pub/sub components', () => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0).reverse()) await a.close();
  });

  async function boot(appId: string, namespace: string, bus: string, providers: Type<unknown>[]): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        DaprModule.forRoot({
          appId,
          namespace,
          components: [{ name: 'memps', type: 'pubsub.in-memory', metadata: { busName: bus, tag: '{namespace}' } }],
        }),
      ],
      providers,
    }).compile();
    const app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    apps.push(app);
    return app;
  }

  it('keeps namespaces apart on one broker and delivers the unprefixed topic name', async () => {
    const run = runId();
    const topic = `orders-${run}`;
    const rec = new Recorder<CloudEvent>();
    const handlers = (key: string) => {
      @Injectable()
      class Handlers {
        @Subscribe({ pubsub: 'memps', topic })
        on(_d: unknown, event: CloudEvent) {
          rec.add(key, event);
        }
      }
      return Handlers;
    };
    const a = await boot('shop-a', 'ns1', `bus-${run}`, [handlers('ns1')]);
    await boot('shop-b', 'ns2', `bus-${run}`, [handlers('ns2')]);
    await a.get(PubSubService).publish('memps', topic, { n: 1 });
    await waitFor(() => rec.count('ns1') === 1, 'the ns1 delivery');
    await sleep(300);
    expect(rec.count('ns2')).toBe(0);
    expect(rec.get('ns1')[0].topic).toBe(topic);
  });
});
