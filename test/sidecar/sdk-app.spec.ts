import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprPubSubStatusEnum, DaprServer, HttpMethod, LogLevel, type DaprClient } from '@dapr/dapr';
import Redis from 'ioredis';
import { PROTOCOLS, sdkClient, sdkHttpError, thrown, type Protocol } from './support/sdk';
import { component, eventually, freePort, startSidecar, waitForAppChannel, writeResources, type RunningSidecar } from './support/sidecar-process';

/**
 * Two apps written with the official SDK (DaprServer + DaprClient), each on
 * its own `nest-dapr run`, with real Redis and Kafka: pub/sub with
 * SUCCESS / RETRY / DROP, dead-letter topics, routing rules, raw payloads,
 * bulk publish and bulk subscribe; service invocation to the local app and to
 * the other app through name resolution; input and output bindings; secrets;
 * metadata; health.
 */
const run = randomBytes(4).toString('hex');

interface Received {
  route: string;
  data: unknown;
  headers?: Record<string, string>;
}

describe.each(PROTOCOLS)('official SDK apps over %s on nest-dapr run', (protocol: Protocol) => {
  const tag = `${protocol.toLowerCase()}-${run}`;
  const appA = `sdk-a-${tag}`;
  const appB = `sdk-b-${tag}`;
  const topic = (t: string) => `sdk-${tag}-${t}`;
  const sdkProtocol = protocol === 'HTTP' ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC;
  let dir: string;
  let sidecarA: RunningSidecar;
  let sidecarB: RunningSidecar;
  let serverA: DaprServer;
  let serverB: DaprServer;
  let client: DaprClient;
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const byRoute = (route: string) => received.filter((r) => r.route === route);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-app-'));
    const secretsFile = join(dir, 'secrets.json');
    writeFileSync(secretsFile, JSON.stringify({ 'db-password': 's3cret', api: { key: 'k-1' } }));
    const resources = writeResources(join(dir, 'resources'), [
      component('pubsub', 'pubsub.redis', { redisHost: '127.0.0.1:6379', redeliverInterval: '200ms', processingTimeout: '1s' }),
      component('kafka', 'pubsub.kafka', { brokers: '127.0.0.1:9092', authType: 'none', consumerGroup: '{appID}', initialOffset: 'oldest' }),
      component('store', 'state.redis', { redisHost: '127.0.0.1:6379' }),
      component('secrets', 'secretstores.local.file', { secretsFile, nestedSeparator: ':' }),
      component('files', 'bindings.localstorage', { rootPath: join(dir, 'files') }),
      component('tick', 'bindings.cron', { schedule: '@every 1s' }, [appA]),
    ]);
    const appPortA = await freePort();
    const appPortB = await freePort();
    const appArgs = protocol === 'GRPC' ? { appProtocol: 'grpc' as const } : {};
    [sidecarA, sidecarB] = await Promise.all([
      startSidecar({ appId: appA, resources, appPort: appPortA, ...appArgs }),
      startSidecar({ appId: appB, resources, appPort: appPortB, ...appArgs }),
    ]);

    const logger = { level: LogLevel.Error };
    serverA = new DaprServer({
      serverHost: '127.0.0.1',
      serverPort: String(appPortA),
      communicationProtocol: sdkProtocol,
      clientOptions: { daprHost: '127.0.0.1', daprPort: String(protocol === 'HTTP' ? sidecarA.http : sidecarA.grpc), communicationProtocol: sdkProtocol, logger },
      logger,
    });
    const record = (route: string) => async (data: unknown, headers?: object) => {
      received.push({ route, data, headers: headers as Record<string, string> });
    };
    await serverA.pubsub.subscribe('pubsub', topic('orders'), record('orders'));
    await serverA.pubsub.subscribe('kafka', topic('kafka'), record('kafka'));
    await serverA.pubsub.subscribe('pubsub', topic('retry'), async (data: unknown) => {
      const id = (data as { id: string }).id;
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      received.push({ route: 'retry', data });
      return n < 3 ? DaprPubSubStatusEnum.RETRY : DaprPubSubStatusEnum.SUCCESS;
    });
    await serverA.pubsub.subscribeWithOptions('pubsub', topic('drop'), {
      deadLetterTopic: topic('drop-dead'),
      callback: async (data: unknown) => {
        received.push({ route: 'drop', data });
        return DaprPubSubStatusEnum.DROP;
      },
    });
    await serverA.pubsub.subscribe('pubsub', topic('drop-dead'), record('drop-dead'));
    await serverA.pubsub.subscribe('pubsub', topic('routed'), record('routed'), {
      rules: [{ match: 'event.type == "widget"', path: 'widgets' }],
      default: 'others',
    });
    await serverA.pubsub.subscribe('pubsub', topic('raw'), record('raw'), '', { rawPayload: true } as never);
    await serverA.pubsub.subscribeBulk('pubsub', topic('bulk'), record('bulk'), { maxMessagesCount: 5, maxAwaitDurationMs: 300 });
    await serverA.binding.receive('tick', record('tick'));
    await serverA.invoker.listen('echo', async (req: { body?: unknown; query?: unknown; headers?: Record<string, string> }) => ({ echo: req.body, query: req.query, caller: req.headers?.['dapr-caller-app-id'], custom: req.headers?.['x-custom'] }), {
      method: HttpMethod.POST,
    });
    await serverA.invoker.listen('hello', async () => 'hello from A', { method: HttpMethod.GET });

    serverB = new DaprServer({
      serverHost: '127.0.0.1',
      serverPort: String(appPortB),
      communicationProtocol: sdkProtocol,
      clientOptions: { daprHost: '127.0.0.1', daprPort: String(protocol === 'HTTP' ? sidecarB.http : sidecarB.grpc), communicationProtocol: sdkProtocol, logger },
      logger,
    });
    await serverB.invoker.listen('whoami', async (req: { headers?: Record<string, string> }) => ({ app: 'B', caller: req.headers?.['dapr-caller-app-id'] }), { method: HttpMethod.GET });

    await Promise.all([serverA.start(), serverB.start()]);
    await Promise.all([waitForAppChannel(sidecarA), waitForAppChannel(sidecarB)]);
    client = sdkClient(sidecarA, protocol);
  }, 120_000);

  afterAll(async () => {
    await client?.stop();
    // Sidecars first: their connections to the apps close, so the SDK servers can stop.
    await Promise.all([sidecarA?.stop(), sidecarB?.stop()]);
    await Promise.all([serverA?.stop().catch(() => undefined), serverB?.stop().catch(() => undefined)]);
    rmSync(dir, { recursive: true, force: true });
    const redis = new Redis('127.0.0.1:6379');
    const keys = await redis.keys(`sdk-${tag}-*`);
    const state = await redis.keys(`${appA}||*`);
    if (keys.length + state.length) await redis.del(...keys, ...state);
    redis.disconnect();
  }, 60_000);

  it('delivers published events to the subscriber (Redis streams and Kafka)', async () => {
    await client.pubsub.publish('pubsub', topic('orders'), { orderId: 1 });
    await client.pubsub.publish('kafka', topic('kafka'), { orderId: 2 });
    await eventually('orders', () => byRoute('orders'), (r) => r.length === 1);
    expect(byRoute('orders')[0].data).toEqual({ orderId: 1 });
    await eventually('kafka delivery', () => byRoute('kafka'), (r) => r.length === 1, 40_000);
    expect(byRoute('kafka')[0].data).toEqual({ orderId: 2 });
  }, 60_000);

  it('redelivers an event the app answered RETRY until it answers SUCCESS', async () => {
    await client.pubsub.publish('pubsub', topic('retry'), { id: 'r1' });
    await eventually('3 attempts', () => attempts.get('r1') ?? 0, (n) => n >= 3);
    await new Promise((r) => setTimeout(r, 1500));
    expect(attempts.get('r1')).toBe(3);
  });

  it('sends an event the app answered DROP to the dead-letter topic, once', async () => {
    await client.pubsub.publish('pubsub', topic('drop'), { id: 'd1' });
    await eventually('dead letter', () => byRoute('drop-dead'), (r) => r.length === 1);
    expect(byRoute('drop-dead')[0].data).toEqual({ id: 'd1' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(byRoute('drop')).toHaveLength(1);
  });

  it('routes by CEL rules over the CloudEvent, with a default route', async () => {
    await client.pubsub.publish('pubsub', topic('routed'), { kind: 'w' }, { metadata: { 'cloudevent.type': 'widget' } });
    await client.pubsub.publish('pubsub', topic('routed'), { kind: 'o' });
    await eventually('two routed', () => byRoute('routed'), (r) => r.length === 2);
    expect(byRoute('routed').map((r) => r.data)).toEqual(expect.arrayContaining([{ kind: 'w' }, { kind: 'o' }]));
  });

  it('publishes and receives raw payloads (no CloudEvent envelope)', async () => {
    await client.pubsub.publish('pubsub', topic('raw'), { raw: true }, { metadata: { rawPayload: 'true' } });
    await eventually('raw', () => byRoute('raw'), (r) => r.length === 1);
    expect(byRoute('raw')[0].data).toEqual({ raw: true });
    // On the broker it is the bare JSON, not a CloudEvent.
    const redis = new Redis('127.0.0.1:6379');
    try {
      const entries = (await redis.xrange(topic('raw'), '-', '+')) as [string, string[]][];
      const fields = entries[0][1];
      expect(JSON.parse(fields[fields.indexOf('data') + 1])).toEqual({ raw: true });
    } finally {
      redis.disconnect();
    }
  });

  it('bulk-publishes, and a bulk subscriber gets the events in batches with per-entry statuses', async () => {
    const res = await client.pubsub.publishBulk('pubsub', topic('bulk'), [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }, { n: 7 }]);
    expect(res.failedMessages).toEqual([]);
    await eventually('bulk', () => byRoute('bulk'), (r) => r.length === 7);
    expect(byRoute('bulk').map((r) => (r.data as { n: number }).n).sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('reports a publish to an unknown pubsub as a Dapr error', async () => {
    const err = await thrown(() =>
      client.pubsub.publish('nope', topic('x'), { a: 1 }).then((r) => {
        if (r.error) throw r.error;
      }),
    );
    if (protocol === 'HTTP') expect(sdkHttpError(err)).toMatchObject({ status: 404, errorCode: 'ERR_PUBSUB_NOT_FOUND' });
    // The SDK's gRPC client throws `{ error }` here.
    else expect((err as { error: unknown }).error).toMatchObject({ code: 3, rawMessage: expect.stringContaining('pubsub "nope" is not configured') });
  });

  it('invokes the local app with POST, query and headers, and GET', async () => {
    const res = (await client.invoker.invoke(appA, 'echo?x=1', HttpMethod.POST, { hi: 'there' }, { headers: { 'x-custom': 'yes' } })) as Record<string, unknown>;
    // The SDK's server hands the body to the callback as JSON text.
    expect(JSON.parse(res.echo as string)).toEqual({ hi: 'there' });
    if (protocol === 'HTTP') {
      // (The SDK's gRPC server gives callbacks no headers, and its gRPC client sends none.)
      expect(res.caller).toBe(appA);
      expect(res.custom).toBe('yes');
    }
    expect(await client.invoker.invoke(appA, 'hello', HttpMethod.GET)).toBe('hello from A');
  });

  it('invokes another app through name resolution and its sidecar', async () => {
    const res = (await client.invoker.invoke(appB, 'whoami', HttpMethod.GET)) as Record<string, unknown>;
    expect(res).toEqual(protocol === 'HTTP' ? { app: 'B', caller: appA } : { app: 'B' });
  });

  it('invokes by dapr-app-id header over the HTTP API, and passes a failing status through', async () => {
    const byHeader = await fetch(`http://127.0.0.1:${sidecarA.http}/hello`, { headers: { 'dapr-app-id': appA } });
    expect(byHeader.status).toBe(200);
    expect(JSON.parse(await byHeader.text())).toBe('hello from A');
    // The SDK's HTTP server answers 404 for a route it does not have (its gRPC server answers an empty 200).
    const missing = await fetch(`http://127.0.0.1:${sidecarA.http}/v1.0/invoke/${appA}/method/does-not-exist`);
    expect(missing.status).toBe(protocol === 'HTTP' ? 404 : 200);
  });

  it('delivers input binding events (cron) to the app', async () => {
    await eventually('ticks', () => byRoute('tick'), (r) => r.length >= 1, 10_000);
  });

  it('invokes output bindings (localstorage create/get)', async () => {
    await client.binding.send('files', 'create', { written: true }, { fileName: `f-${tag}.json` });
    const stored = JSON.parse(readFileSync(join(dir, 'files', `f-${tag}.json`), 'utf8')) as unknown;
    expect(stored).toEqual({ written: true });
    const back = await client.binding.send('files', 'get', undefined, { fileName: `f-${tag}.json` });
    // The SDK's HTTP client parses the answer; its gRPC client returns { data: bytes, metadata, operation }.
    const data = protocol === 'HTTP' ? back : JSON.parse(Buffer.from((back as { data: Uint8Array }).data).toString());
    expect(data).toEqual({ written: true });
  });

  it('reads secrets, one and in bulk', async () => {
    expect(await client.secret.get('secrets', 'db-password')).toEqual({ 'db-password': 's3cret' });
    const all = (await client.secret.getBulk('secrets')) as Record<string, Record<string, string>>;
    expect(all['db-password']).toEqual({ 'db-password': 's3cret' });
    expect(all['api:key']).toEqual({ 'api:key': 'k-1' });
  });

  it('reports metadata (components, subscriptions) and stores extended attributes', async () => {
    await client.metadata.set('team', 'checkout');
    const md = (await client.metadata.get()) as unknown as {
      id: string;
      components: { name: string; type: string }[];
      subscriptions: { topic: string; pubsubname: string }[];
      extended: Record<string, string>;
    };
    expect(md.id).toBe(appA);
    expect(md.components.map((c) => c.name)).toEqual(expect.arrayContaining(['pubsub', 'kafka', 'store', 'secrets', 'files', 'tick']));
    // The SDK's gRPC client leaves subscriptions out of what it returns; read them over HTTP there.
    const subscriptions = protocol === 'HTTP' ? md.subscriptions : ((await (await fetch(`http://127.0.0.1:${sidecarA.http}/v1.0/metadata`)).json()) as typeof md).subscriptions;
    expect(subscriptions.map((s) => s.topic)).toEqual(expect.arrayContaining([topic('orders'), topic('routed'), topic('bulk')]));
    expect(md.extended.team).toBe('checkout');
  });

  it('is healthy', async () => {
    expect(await client.health.isHealthy()).toBe(true);
  });
});
