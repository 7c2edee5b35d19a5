import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComponentConfigError } from '../../errors/component-config.error';
import type { DeliveryOutcome, PubSubMessage } from '../../spi/pubsub.spi';
import { SqlitePubSub } from './sqlite.pubsub';

const waitFor = async (check: () => boolean, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('pubsub.sqlite driver', () => {
  let dir: string;
  let file: string;
  const drivers: SqlitePubSub[] = [];

  const open = async (props: Record<string, string> = {}) => {
    const d = new SqlitePubSub();
    await d.init({
      name: 'sq',
      type: 'pubsub.sqlite',
      version: 'v1',
      appId: 'app',
      properties: { connectionString: file, pollInterval: '10ms', redeliverInterval: '50ms', ...props },
    });
    drivers.push(d);
    return d;
  };
  const msg = (s: string) => ({ topic: 't', data: Buffer.from(s), metadata: { k: s }, contentType: 'text/plain' });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-ps-unit-'));
    file = join(dir, 'q.db');
  });

  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redelivers a RETRY after redeliverInterval and keeps broker metadata', async () => {
    const d = await open();
    const seen: PubSubMessage[] = [];
    await d.subscribe({ topic: 't', metadata: { consumerID: 'g' } }, async (m) => {
      seen.push(m);
      return (seen.length === 1 ? 'RETRY' : 'SUCCESS') as DeliveryOutcome;
    });
    await d.publish(msg('one'));
    await waitFor(() => seen.length === 2, 'the redelivery');
    expect(Buffer.from(seen[1].data).toString()).toBe('one');
    expect(seen[1].metadata).toEqual({ k: 'one' });
    expect(seen[1].contentType).toBe('text/plain');
    expect(seen[1].id).toBe(seen[0].id);
  });

  it('hands the leases of a consumer that went away to another one after visibilityTimeout', async () => {
    const a = await open({ visibilityTimeout: '300ms' });
    const b = await open({ visibilityTimeout: '300ms' });
    let aGot = 0;
    // Consumer A takes the message and never settles it (as if it crashed).
    const ha = await a.subscribe({ topic: 't', metadata: { consumerID: 'g' } }, () => {
      aGot++;
      return new Promise<DeliveryOutcome>(() => undefined);
    });
    await a.publish(msg('stuck'));
    await waitFor(() => aGot === 1, 'A to take the message');
    await ha.stop();
    drivers.splice(drivers.indexOf(a), 1);
    await a.close();
    const bGot: string[] = [];
    await b.subscribe({ topic: 't', metadata: { consumerID: 'g' } }, async (m) => {
      bGot.push(Buffer.from(m.data).toString());
      return 'SUCCESS';
    });
    await waitFor(() => bGot.length === 1, 'B to take over the expired lease');
    expect(bGot).toEqual(['stuck']);
  });

  it('starts a new group at the oldest retained message, or at the newest with initialOffset=newest', async () => {
    const d = await open();
    await d.publish(msg('before'));
    const oldest: string[] = [];
    const newest: string[] = [];
    await d.subscribe({ topic: 't', metadata: { consumerID: 'old' } }, async (m) => {
      oldest.push(Buffer.from(m.data).toString());
      return 'SUCCESS';
    });
    await d.subscribe({ topic: 't', metadata: { consumerID: 'new', initialOffset: 'newest' } }, async (m) => {
      newest.push(Buffer.from(m.data).toString());
      return 'SUCCESS';
    });
    await d.publish(msg('after'));
    await waitFor(() => oldest.length === 2 && newest.length === 1, 'both groups');
    expect(oldest).toEqual(['before', 'after']);
    expect(newest).toEqual(['after']);
  });

  it('writes a bulk publish in one transaction and delivers every entry', async () => {
    const d = await open();
    const got: string[] = [];
    await d.subscribe({ topic: 't', metadata: { consumerID: 'g' } }, async (m) => {
      got.push(Buffer.from(m.data).toString());
      return 'SUCCESS';
    });
    const res = await d.bulkPublish({
      topic: 't',
      metadata: {},
      entries: ['a', 'b', 'c'].map((s) => ({ entryId: s, event: Buffer.from(s), metadata: {} })),
    });
    expect(res.failedEntries).toEqual([]);
    await waitFor(() => got.length === 3, 'the bulk entries');
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('rejects bad metadata with a config error naming the field', async () => {
    await expect(open({ visibilityTimeout: 'soon' })).rejects.toThrow(ComponentConfigError);
    await expect(open({ concurrency: '0' })).rejects.toThrow(/concurrency/);
    await expect(open({ initialOffset: 'middle' })).rejects.toThrow(/initialOffset/);
  });
});
