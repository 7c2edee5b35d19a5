import type { DeliveryOutcome } from '../../spi/pubsub.spi';
import { InMemoryPubSub } from './in-memory.pubsub';

const waitFor = async (check: () => boolean, what: string, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('pubsub.in-memory driver', () => {
  const drivers: InMemoryPubSub[] = [];
  const open = async (props: Record<string, string> = {}) => {
    const d = new InMemoryPubSub();
    await d.init({ name: 'm', type: 'pubsub.in-memory', version: 'v1', appId: 'a', properties: { redeliverInterval: '20ms', ...props } });
    drivers.push(d);
    return d;
  };
  const msg = (s: string) => ({ topic: 't', data: Buffer.from(s), metadata: { s } });
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.close();
  });

  it('round-robins within a consumer group and copies to every group', async () => {
    const d = await open();
    const got: Record<string, string[]> = { a1: [], a2: [], b: [] };
    const sub = (key: string, group: string) =>
      d.subscribe({ topic: 't', metadata: { consumerID: group } }, async (m) => {
        got[key].push(Buffer.from(m.data).toString());
        return 'SUCCESS';
      });
    await sub('a1', 'A');
    await sub('a2', 'A');
    await sub('b', 'B');
    for (let i = 0; i < 6; i++) await d.publish(msg(String(i)));
    await waitFor(() => got.a1.length + got.a2.length === 6 && got.b.length === 6, 'all deliveries');
    expect(got.a1).toEqual(['0', '2', '4']);
    expect(got.a2).toEqual(['1', '3', '5']);
    expect(got.b).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('redelivers RETRY and rejected deliveries, and keeps them for a consumer that joins later', async () => {
    const d = await open();
    let calls = 0;
    const h = await d.subscribe({ topic: 't', metadata: { consumerID: 'A' } }, async () => {
      calls++;
      if (calls === 1) return 'RETRY' as DeliveryOutcome;
      if (calls === 2) throw new Error('boom');
      return 'SUCCESS';
    });
    await d.publish(msg('x'));
    await waitFor(() => calls === 3, 'two redeliveries');
    // With the only consumer gone, a retried message waits for the next one of its group.
    let again = 0;
    const h2 = await d.subscribe({ topic: 't', metadata: { consumerID: 'A' } }, async () => {
      again++;
      return again === 1 ? 'RETRY' : 'SUCCESS';
    });
    await h.stop();
    await d.publish(msg('y'));
    await waitFor(() => again === 1, 'the first attempt on the second consumer');
    await h2.stop();
    const late: string[] = [];
    await d.subscribe({ topic: 't', metadata: { consumerID: 'A' } }, async (m) => {
      late.push(Buffer.from(m.data).toString());
      return 'SUCCESS';
    });
    await waitFor(() => late.length === 1, 'the redelivery to the late consumer');
    expect(late).toEqual(['y']);
  });

  it('shares one bus between components with the same busName', async () => {
    const a = await open({ busName: 'shared-bus' });
    const b = await open({ busName: 'shared-bus' });
    const got: string[] = [];
    await b.subscribe({ topic: 't', metadata: { consumerID: 'B' } }, async (m) => {
      got.push(Buffer.from(m.data).toString());
      return 'SUCCESS';
    });
    await a.publish(msg('across'));
    await waitFor(() => got.length === 1, 'the cross-component delivery');
    expect(got).toEqual(['across']);
  });
});
