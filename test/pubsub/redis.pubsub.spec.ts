import { Redis } from 'ioredis';
import { RedisPubSub } from '../../libs/dapr/src/components/redis/redis.pubsub';
import type { DeliveryOutcome, PubSubMessage, SubscriptionHandle } from '../../libs/dapr/src/spi/pubsub.spi';
import { MissingMetadataError } from '../../libs/dapr/src/errors/component-config.error';
import { REDIS_HOST, componentMetadata, sleep, uniqueName, waitFor } from './support/broker-test-utils';

/**
 * Driver-level tests of pubsub.redis (Redis Streams) against the real server:
 * Dapr's stream layout, consumer groups, ack/pending/reclaim rules and a
 * connection loss. Every stream and client name is unique to the run; the
 * shared server is never flushed or restarted.
 */
describe('pubsub.redis driver (real server)', () => {
  let redis: Redis;
  const drivers: RedisPubSub[] = [];
  const handles: SubscriptionHandle[] = [];
  const streams: string[] = [];

  async function driver(props: Record<string, string> = {}, appId = 'redis-test'): Promise<RedisPubSub> {
    const d = new RedisPubSub();
    await d.init(componentMetadata('redis', 'pubsub.redis', { redisHost: REDIS_HOST, ...props }, appId));
    drivers.push(d);
    return d;
  }

  function stream(prefix: string): string {
    const s = uniqueName(prefix);
    streams.push(s);
    return s;
  }

  const text = (m: PubSubMessage) => Buffer.from(m.data).toString();

  beforeAll(() => {
    redis = new Redis(REDIS_HOST);
  });

  afterEach(async () => {
    await Promise.allSettled(handles.splice(0).map((h) => h.stop()));
    await Promise.allSettled(drivers.splice(0).map((d) => d.close()));
  });

  afterAll(async () => {
    if (streams.length) await redis.del(...streams);
    await redis.quit();
  });

  it('requires redisHost', async () => {
    await expect(new RedisPubSub().init(componentMetadata('r', 'pubsub.redis', {}))).rejects.toBeInstanceOf(MissingMetadataError);
  });

  it("writes Dapr's stream layout and reads entries a Dapr sidecar wrote", async () => {
    const topic = stream('rd-wire');
    const d = await driver({ maxLenApprox: '1000' });
    await expect(d.ping()).resolves.toBeUndefined();
    await d.publish({ topic, data: Buffer.from('{"x":1}'), metadata: { ttlInSeconds: '30' } });
    const entries = await redis.xrange(topic, '-', '+');
    expect(entries).toHaveLength(1);
    expect(entries[0][1]).toEqual(['data', '{"x":1}', 'metadata', '{"ttlInSeconds":"30"}']);

    // An entry written the way daprd writes it (XADD ... data <bytes> metadata <json>).
    await redis.xadd(topic, '*', 'data', 'from-dapr', 'metadata', JSON.stringify({ rawPayload: 'true' }));
    const got: PubSubMessage[] = [];
    handles.push(await d.subscribe({ topic, metadata: { consumerID: uniqueName('g') } }, async (m) => (got.push(m), 'SUCCESS')));
    // A new group starts at the beginning of the stream.
    await waitFor(() => got.length === 2, 'both entries');
    expect(got.map(text)).toEqual(['{"x":1}', 'from-dapr']);
    expect(got[1].metadata).toEqual({ rawPayload: 'true' });
    expect(got[0].id).toBe(entries[0][0]);
  });

  it('acks SUCCESS and DROP, keeps RETRY and failures pending and redelivers them after processingTimeout', async () => {
    const topic = stream('rd-retry');
    const group = uniqueName('g');
    const d = await driver({ processingTimeout: '300', redeliverInterval: '100ms' });
    const attempts = new Map<string, number>();
    handles.push(
      await d.subscribe({ topic, metadata: { consumerID: group } }, async (m): Promise<DeliveryOutcome> => {
        const v = text(m);
        const n = (attempts.get(v) ?? 0) + 1;
        attempts.set(v, n);
        if (v === 'retry' && n < 3) return 'RETRY';
        if (v === 'throw' && n < 2) throw new Error('handler failed');
        return v === 'drop' ? 'DROP' : 'SUCCESS';
      }),
    );
    for (const v of ['ok', 'drop', 'retry', 'throw']) await d.publish({ topic, data: Buffer.from(v), metadata: {} });
    await waitFor(() => attempts.get('ok') === 1 && attempts.get('drop') === 1, 'first deliveries');
    // While retry/throw are pending they show in XPENDING, ok/drop do not.
    await waitFor(async () => Number((await redis.xpending(topic, group))[0]) === 2, 'two pending entries');
    await waitFor(() => attempts.get('retry') === 3 && attempts.get('throw') === 2, 'redeliveries', 10_000);
    await waitFor(async () => Number((await redis.xpending(topic, group))[0]) === 0, 'all acked');
    expect(attempts.get('ok')).toBe(1);
    expect(attempts.get('drop')).toBe(1);
  });

  it('runs up to `concurrency` handlers at once', async () => {
    const topic = stream('rd-conc');
    const d = await driver();
    let running = 0;
    let peak = 0;
    let done = 0;
    handles.push(
      await d.subscribe({ topic, metadata: { consumerID: uniqueName('g'), concurrency: '4' } }, async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(50);
        running--;
        done++;
        return 'SUCCESS';
      }),
    );
    for (let i = 0; i < 12; i++) await d.publish({ topic, data: Buffer.from(String(i)), metadata: {} });
    await waitFor(() => done === 12, 'all handled');
    expect(peak).toBe(4);
  });

  it('trims the stream with maxLenApprox', async () => {
    const topic = stream('rd-maxlen');
    const d = await driver({ maxLenApprox: '10' });
    for (let i = 0; i < 500; i++) await d.publish({ topic, data: Buffer.from(String(i)), metadata: {} });
    // MAXLEN ~ trims whole macro nodes (100 entries by default), so "about" 10.
    expect(await redis.xlen(topic)).toBeLessThan(200);
  });

  it('splits a stream between instances of one app and copies it to another app', async () => {
    const topic = stream('rd-groups');
    const appA = uniqueName('app-a');
    const a1 = await driver({}, appA);
    const a2 = await driver({}, appA);
    const b = await driver({}, uniqueName('app-b'));
    const got = { a1: [] as string[], a2: [] as string[], b: [] as string[] };
    const on = (list: string[]) => async (m: PubSubMessage): Promise<DeliveryOutcome> => {
      list.push(text(m));
      await sleep(2); // let the other instance take a share
      return 'SUCCESS';
    };
    handles.push(await a1.subscribe({ topic, metadata: {} }, on(got.a1)));
    handles.push(await a2.subscribe({ topic, metadata: {} }, on(got.a2)));
    handles.push(await b.subscribe({ topic, metadata: {} }, on(got.b)));
    const n = 300;
    await Promise.all(Array.from({ length: n }, (_, i) => a1.publish({ topic, data: Buffer.from(`m${i}`), metadata: {} })));
    await waitFor(() => got.a1.length + got.a2.length === n && got.b.length === n, 'all messages');
    expect(got.a1.length).toBeGreaterThan(0);
    expect(got.a2.length).toBeGreaterThan(0);
    expect(new Set([...got.a1, ...got.a2]).size).toBe(n);
    expect(new Set(got.b).size).toBe(n);
  });

  it('survives its connections being killed while publishing continues: every publish is delivered', async () => {
    const topic = stream('rd-kill');
    // Connections are named nest-dapr.<appId>.<component>[.reader.<topic>]; a unique app id scopes the kill.
    const appId = uniqueName('rd-kill-app');
    const clientName = `nest-dapr.${appId}.redis`;
    const d = await driver({ processingTimeout: '1s', redeliverInterval: '200ms' }, appId);
    const received = new Set<string>();
    handles.push(await d.subscribe({ topic, metadata: { consumerID: uniqueName('g') } }, async (m) => (received.add(text(m)), 'SUCCESS')));
    const published: string[] = [];
    let killed = 0;
    for (let i = 0; i < 300; i++) {
      const v = `m${i}`;
      await publishWithRetry(() => d.publish({ topic, data: Buffer.from(v), metadata: {} }));
      published.push(v);
      if (i % 100 === 50) killed += await killClients(redis, clientName);
    }
    expect(killed).toBeGreaterThanOrEqual(6); // publisher + reader connection, three times
    await waitFor(() => published.every((v) => received.has(v)), 'every acknowledged publish', 15_000);
  });

  it('redelivers with XPENDING + XCLAIM as Dapr does, so it works where XAUTOCLAIM does not exist (Redis < 6.2)', async () => {
    // A Redis user that may not run XAUTOCLAIM stands in for a server older than 6.2.
    const user = uniqueName('nest-dapr-no-autoclaim');
    await redis.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-xautoclaim');
    try {
      const topic = stream('rd-xclaim');
      const group = uniqueName('g');
      // A crashed consumer's entry: read through the group, never acked.
      await redis.xgroup('CREATE', topic, group, '0', 'MKSTREAM');
      await redis.xadd(topic, '*', 'data', 'orphan', 'metadata', '{}');
      const gone = await redis.xadd(topic, '*', 'data', 'trimmed', 'metadata', '{}');
      await redis.xreadgroup('GROUP', group, 'crashed', 'COUNT', 10, 'STREAMS', topic, '>');
      // One of the two is then trimmed from the stream while still pending.
      await redis.xdel(topic, gone!);
      const d = await driver({ redisUsername: user, redisPassword: 'pw', processingTimeout: '100', redeliverInterval: '100ms' });
      const got: string[] = [];
      handles.push(await d.subscribe({ topic, metadata: { consumerID: group } }, async (m) => (got.push(text(m)), 'SUCCESS')));
      await waitFor(async () => got.length === 1 && Number((await redis.xpending(topic, group))[0]) === 0, 'orphan redelivered, trimmed one acked');
      expect(got).toEqual(['orphan']);
    } finally {
      await redis.call('ACL', 'DELUSER', user);
    }
  });

  it('stop() waits for running handlers and acks them', async () => {
    const topic = stream('rd-stop');
    const group = uniqueName('g');
    const d = await driver();
    let finished = false;
    const handle = await d.subscribe({ topic, metadata: { consumerID: group } }, async () => {
      await sleep(300);
      finished = true;
      return 'SUCCESS';
    });
    await d.publish({ topic, data: Buffer.from('x'), metadata: {} });
    await waitFor(async () => Number((await redis.xpending(topic, group))[0]) === 1, 'entry in flight');
    await handle.stop();
    expect(finished).toBe(true);
    expect(Number((await redis.xpending(topic, group))[0])).toBe(0);
  });
});

/** Kills only the connections whose CLIENT SETNAME starts with `prefix` (never other users' clients). */
export async function killClients(redis: Redis, prefix: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  let n = 0;
  for (const line of list.split('\n')) {
    const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '';
    if (id && name.startsWith(prefix)) {
      n += Number(await redis.client('KILL', 'ID', id));
    }
  }
  return n;
}

async function publishWithRetry(publish: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await publish();
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(50);
    }
  }
}
