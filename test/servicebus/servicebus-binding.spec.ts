/**
 * bindings.azure.servicebusqueues through the real @azure/service-bus client
 * against the AMQP test peer (entity management off, queue declared by the test).
 */
import { MissingMetadataError } from 'nest-dapr';
import type { ReadResponse } from 'nest-dapr/spi';
import { ServiceBusQueuesBinding } from '../../libs/dapr/src/components/azure-servicebus/servicebus-queues.binding';
import { ServiceBusTestPeer } from '../support/servicebus-peer';
import { bytes, text, uniq, waitFor } from './support/servicebus-test-utils';

describe('bindings.azure.servicebusqueues against the AMQP test peer (real SDK)', () => {
  let peer: ServiceBusTestPeer;
  const bindings: ServiceBusQueuesBinding[] = [];

  beforeAll(async () => {
    peer = await ServiceBusTestPeer.start();
  });
  afterEach(async () => {
    await Promise.allSettled(bindings.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await peer.close();
  });

  async function binding(props: Record<string, string>): Promise<ServiceBusQueuesBinding> {
    const b = new ServiceBusQueuesBinding();
    bindings.push(b);
    await b.init({
      name: 'sbq',
      type: 'bindings.azure.servicebusqueues',
      version: 'v1',
      appId: 'app',
      properties: { connectionString: peer.connectionString, disableEntityManagement: 'true', ...props },
    });
    return b;
  }

  it('output create sends with mapped properties and the component ttlInSeconds as default TTL', async () => {
    const queue = uniq('bq');
    peer.createQueue(queue);
    const b = await binding({ queueName: queue, ttlInSeconds: '45' });
    expect(b.operations()).toEqual(['create']);
    await b.invoke({ operation: 'create', data: bytes('{"n":1}'), metadata: { MessageId: 'b-1', kind: 'k' } });
    await b.invoke({ operation: 'create', data: bytes('two'), metadata: { ttlInSeconds: '5' } });
    const wire = peer.sent.filter((s) => s.target === queue).map((s) => s.message);
    expect(wire.map((m) => m.ttl)).toEqual([45_000, 5_000]);
    expect(wire[0].message_id).toBe('b-1');
    expect(wire[0].application_properties).toEqual({ kind: 'k' });
    await expect(b.invoke({ operation: 'delete', metadata: {} })).rejects.toThrow(/not supported; supported: create/);
  });

  it('input reads the queue, completes handled messages and abandons failed ones for redelivery', async () => {
    const queue = uniq('bin');
    peer.createQueue(queue);
    const b = await binding({ queueName: queue });
    const got: ReadResponse[] = [];
    const stop = await b.read(async (ev) => {
      got.push(ev);
      if (text(ev.data) === 'flaky' && got.filter((g) => text(g.data) === 'flaky').length === 1) throw new Error('first try fails');
    });
    await b.invoke({ operation: 'create', data: bytes('flaky'), metadata: {} });
    await b.invoke({ operation: 'create', data: bytes('fine'), metadata: {} });
    await waitFor('three deliveries', () => got.length === 3);
    const flaky = got.filter((g) => text(g.data) === 'flaky').map((g) => g.metadata['metadata.DeliveryCount']);
    expect(flaky).toEqual(['1', '2']);
    await waitFor('settled', () => peer.entity(queue)!.lockedCount === 0 && peer.entity(queue)!.availableCount === 0);
    await stop();
  });

  it('requires queueName', async () => {
    await expect(binding({})).rejects.toBeInstanceOf(MissingMetadataError);
  });
});
