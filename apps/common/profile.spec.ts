import { join } from 'node:path';
import { ComponentRegistry } from '../../libs/dapr/src/runtime/component-registry';
import { loadComponentsPath } from '../../libs/dapr/src/runtime/component-loader';
import { BUILTIN_DRIVERS } from '../../libs/dapr/src/components/builtin-drivers';

const componentRegistry = new ComponentRegistry(BUILTIN_DRIVERS);
import { componentsPathFor, knownProfiles } from './profile';

describe('component profiles', () => {
  it('ships local, redis, kafka, nats, rabbitmq, mqtt and servicebus', () => {
    expect(knownProfiles()).toEqual(expect.arrayContaining(['kafka', 'local', 'mqtt', 'nats', 'rabbitmq', 'redis', 'servicebus']));
  });

  it('selects components/<DAPR_PROFILE>, local by default', () => {
    expect(componentsPathFor(undefined, undefined, {})).toMatch(/components[/\\]local$/);
    expect(componentsPathFor('kafka', undefined, {})).toMatch(/components[/\\]kafka$/);
  });

  it('rejects an unknown profile, listing the known ones', () => {
    // Every folder of components/, sorted (the list grows with each profile).
    expect(() => componentsPathFor('rabbit', undefined, {})).toThrow(
      `unknown component profile "rabbit" (DAPR_PROFILE); known profiles: ${knownProfiles().join(', ')}`,
    );
  });

  it('DAPR_COMPONENTS_PATH wins over the profile', () => {
    expect(componentsPathFor('nope', undefined, { DAPR_COMPONENTS_PATH: '/tmp/x' })).toBe('/tmp/x');
  });

  it.each(['local', 'redis', 'kafka', 'servicebus', 'rabbitmq', 'mqtt', 'nats'])('%s: every component parses, has a registered driver, and both apps find their stores', (profile) => {
    const { components } = loadComponentsPath(join(__dirname, '../../components', profile));
    for (const c of components) expect(componentRegistry.find(c.type, c.version)).toBeDefined();
    const names = (app: string) => components.filter((c) => c.scopes.length === 0 || c.scopes.includes(app)).map((c) => c.name).sort();
    expect(names('order')).toEqual(expect.arrayContaining(['orders', 'pubsub']));
    // Orders are announced through the store's transactional outbox.
    const orders = components.find((c) => c.name === 'orders')!;
    const md = Object.fromEntries(orders.metadata.map((m) => [m.name, m.value]));
    expect(md).toMatchObject({ outboxPublishPubsub: 'pubsub', outboxPublishTopic: 'order.created' });
    expect(names('checkout')).toEqual(expect.arrayContaining(['stock', 'pubsub']));
    expect(names('checkout')).not.toContain('orders');
  });
});
