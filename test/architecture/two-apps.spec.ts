import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DaprModule,
  getStateStoreToken,
  PubSubService,
  SecretsService,
  StateService,
  StateStore,
  StateStoreNotFoundError,
  Subscribe,
  type ComponentDefinition,
  type DriverRegistration,
} from 'nest-dapr';
import { InMemoryStateStore } from '../../libs/dapr/src/components/in-memory/in-memory.state-store';
import { DaprMetrics } from '../../libs/dapr/src/observability/dapr-metrics';
import { DaprTracer } from '../../libs/dapr/src/observability/dapr-tracer';
import { PubSubSubscriber } from '../../libs/dapr/src/pubsub/pubsub.subscriber';
import { ComponentRuntime } from '../../libs/dapr/src/runtime/component-runtime';
import { redactSecrets } from '../../libs/dapr/src/runtime/secret-redaction';

/**
 * Two apps in one process, as DaprTestingModule and test suites make them,
 * with different components, drivers, secrets and subscriptions: each sees
 * only its own. Nothing the library keeps is shared through module scope.
 */
const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-two-apps-'));
const SECRET_A = 'alpha-Secret-8842';
const SECRET_B = 'beta-Secret-1937';
writeFileSync(join(dir, 'a.json'), JSON.stringify({ db: SECRET_A }));
writeFileSync(join(dir, 'b.json'), JSON.stringify({ db: SECRET_B }));

class CustomStore extends InMemoryStateStore {}
const customDriver: DriverRegistration = { type: 'state.custom-a', create: () => new CustomStore() };

function components(app: 'a' | 'b'): ComponentDefinition[] {
  return [
    // Same names in both apps: the secret store and the state store holding a secretKeyRef.
    { name: 'vault', type: 'secretstores.local.file', metadata: { secretsFile: join(dir, `${app}.json`) } },
    { name: 'cache', type: 'state.in-memory', secretStore: 'vault', metadata: { password: { secretKeyRef: { name: 'db', key: 'db' } } } },
    { name: `orders-${app}`, type: 'state.in-memory' },
    // A private bus each: in-memory pub/sub shares a bus by component name unless told not to.
    { name: `bus-${app}`, type: 'pubsub.in-memory', metadata: { shared: 'false' } },
  ];
}

@Injectable()
class OrdersA {
  readonly events: unknown[] = [];
  constructor(@StateStore('orders-a') readonly orders: StateStore<{ n: number }>) {}

  @Subscribe({ pubsub: 'bus-a', topic: 'jobs' })
  onJob(data: unknown) {
    this.events.push(data);
  }
}

@Injectable()
class JobsB {
  readonly events: unknown[] = [];

  @Subscribe({ pubsub: 'bus-b', topic: 'jobs' })
  onJob(data: unknown) {
    this.events.push(data);
  }
}

@Module({
  imports: [DaprModule.forRoot({ appId: 'app-a', drivers: [customDriver], components: [...components('a'), { name: 'custom', type: 'state.custom-a' }] })],
  providers: [OrdersA],
})
class AppA {}

@Module({ imports: [DaprModule.forRoot({ appId: 'app-b', components: components('b') })], providers: [JobsB] })
class AppB {}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('two apps in one process', () => {
  let a: TestingModule;
  let b: TestingModule;

  beforeAll(async () => {
    [a, b] = await Promise.all([Test.createTestingModule({ imports: [AppA] }).compile(), Test.createTestingModule({ imports: [AppB] }).compile()]);
    await Promise.all([a.init(), b.init()]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('have their own components and drivers', async () => {
    expect(a.get(ComponentRuntime).names().sort()).toEqual(['bus-a', 'cache', 'custom', 'orders-a', 'vault']);
    expect(b.get(ComponentRuntime).names().sort()).toEqual(['bus-b', 'cache', 'orders-b', 'vault']);
    expect(a.get(ComponentRuntime).registry.find('state.custom-a', 'v1')).toBeDefined();
    expect(b.get(ComponentRuntime).registry.find('state.custom-a', 'v1')).toBeUndefined();

    await a.get(StateService).save('cache', { key: 'k', value: 'from a' });
    await b.get(StateService).save('cache', { key: 'k', value: 'from b' });
    expect(await a.get(StateService).get('cache', 'k')).toBe('from a');
    expect(await b.get(StateService).get('cache', 'k')).toBe('from b');
    await expect(a.get(StateService).get('orders-b', 'k')).rejects.toBeInstanceOf(StateStoreNotFoundError);
  });

  it('read their own secrets and mask only their own values', async () => {
    expect(await a.get(SecretsService).get('vault', 'db')).toEqual({ db: SECRET_A });
    expect(await b.get(SecretsService).get('vault', 'db')).toEqual({ db: SECRET_B });
    const text = `a=${SECRET_A} b=${SECRET_B}`;
    expect(a.get(ComponentRuntime).redactor.redact(text)).toBe(`a=[REDACTED] b=${SECRET_B}`);
    expect(b.get(ComponentRuntime).redactor.redact(text)).toBe(`a=${SECRET_A} b=[REDACTED]`);
  });

  it('deliver only their own subscriptions', async () => {
    await a.get(PubSubService).publish('bus-a', 'jobs', { from: 'a' });
    await b.get(PubSubService).publish('bus-b', 'jobs', { from: 'b' });
    const ordersA = a.get(OrdersA);
    const jobsB = b.get(JobsB);
    await until(() => ordersA.events.length > 0 && jobsB.events.length > 0);
    expect(ordersA.events).toEqual([{ from: 'a' }]);
    expect(jobsB.events).toEqual([{ from: 'b' }]);
    expect(a.get(PubSubSubscriber).list().map((s) => `${s.config.pubsub}/${s.config.topic}`)).toEqual(['bus-a/jobs']);
    expect(b.get(PubSubSubscriber).list().map((s) => `${s.config.pubsub}/${s.config.topic}`)).toEqual(['bus-b/jobs']);
  });

  it('bind @StateStore handles, tracer and metrics to their own module', async () => {
    const ordersA = a.get(OrdersA);
    await ordersA.orders.save('o1', { n: 1 });
    expect(await a.get(StateService).get('orders-a', 'o1')).toEqual({ n: 1 });
    // B provides a handle for the name too (the decorator is in loaded code), but bound to B's own StateService.
    const handleInB = b.get<StateStore>(getStateStoreToken('orders-a'));
    expect(handleInB).not.toBe(ordersA.orders);
    await expect(handleInB.get('o1')).rejects.toBeInstanceOf(StateStoreNotFoundError);

    expect(a.get(DaprTracer)).not.toBe(b.get(DaprTracer));
    expect(a.get(DaprMetrics)).not.toBe(b.get(DaprMetrics));
    expect(a.get(DaprMetrics).appId).toBe('app-a');
    expect(b.get(DaprMetrics).appId).toBe('app-b');
  });

  it('forget their secrets when they close', async () => {
    const text = `a=${SECRET_A} b=${SECRET_B}`;
    // The process-wide logger view masks the values of the apps that are running...
    expect(redactSecrets(text)).toBe('a=[REDACTED] b=[REDACTED]');
    await a.close();
    // ...and no longer those of an app that shut down.
    expect(redactSecrets(text)).toBe(`a=${SECRET_A} b=[REDACTED]`);
    expect(b.get(ComponentRuntime).redactor.redact(text)).toBe(`a=${SECRET_A} b=[REDACTED]`);
  });
});
