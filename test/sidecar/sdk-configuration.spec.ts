import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaprClient } from '@dapr/dapr';
import Redis from 'ioredis';
import { Client } from 'pg';
import { PrivateRedis } from '../configuration/private-servers';
import { sdkClient, thrown } from './support/sdk';
import { component, eventually, freePort, startSidecar, waitForAppChannel, writeResources, type RunningSidecar } from './support/sidecar-process';

/**
 * The configuration API of `nest-dapr run`: the official SDK's gRPC client
 * (`client.configuration.get / subscribeWithKeys / subscribeWithMetadata`,
 * its HTTP client has no configuration API) and daprd's HTTP routes with the
 * app callback `POST /configuration/<store>/<key>`, on a private redis-server
 * and the shared PostgreSQL (a table, trigger and channel of this run's own).
 */
const run = randomBytes(4).toString('hex');
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const table = `cfg_sdk_${run}`;
const channel = `cfg_sdk_${run}`;
const GRPC_INVALID_ARGUMENT = 3;

let dir: string;
let redis: PrivateRedis;
let raw: Redis;
let pg: Client;
let sidecar: RunningSidecar;
let app: Server;
const callbacks: { path: string; body: { id: string; items: Record<string, unknown> } }[] = [];

beforeAll(async () => {
  redis = await PrivateRedis.start();
  raw = new Redis({ host: '127.0.0.1', port: redis.port });
  pg = new Client({ connectionString: PG_URL });
  await pg.connect();
  await pg.query(`CREATE TABLE ${table} (KEY VARCHAR NOT NULL, VALUE VARCHAR NOT NULL, VERSION VARCHAR NOT NULL, METADATA JSON)`);
  await pg.query(`CREATE FUNCTION ${table}_event() RETURNS TRIGGER AS $$
    DECLARE data json; notification json;
    BEGIN
      IF (TG_OP = 'DELETE') THEN data = row_to_json(OLD); ELSE data = row_to_json(NEW); END IF;
      notification = json_build_object('table', TG_TABLE_NAME, 'action', TG_OP, 'data', data);
      PERFORM pg_notify('${channel}', notification::text);
      RETURN NULL;
    END; $$ LANGUAGE plpgsql`);
  await pg.query(`CREATE TRIGGER ${table}_trigger AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE PROCEDURE ${table}_event()`);

  // The app: answers every configuration callback 200 and records it.
  const appPort = await freePort();
  app = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.startsWith('/configuration/')) {
        callbacks.push({ path: req.url, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200).end();
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((r) => app.listen(appPort, '127.0.0.1', r));

  dir = mkdtempSync(join(tmpdir(), 'sdk-config-'));
  writeResources(dir, [
    component('redisconfig', 'configuration.redis', { redisHost: `127.0.0.1:${redis.port}` }),
    component('pgconfig', 'configuration.postgresql', { connectionString: PG_URL, table }),
  ]);
  sidecar = await startSidecar({ appId: `sdkconfig-${run}`, resources: dir, appPort });
  await waitForAppChannel(sidecar);
}, 120_000);

afterAll(async () => {
  await sidecar?.stop();
  await new Promise((r) => app?.close(r));
  rmSync(dir, { recursive: true, force: true });
  raw?.disconnect();
  await redis?.stop();
  await pg.query(`DROP TABLE IF EXISTS ${table}`);
  await pg.query(`DROP FUNCTION IF EXISTS ${table}_event()`);
  await pg.end();
});

describe('DaprClient over gRPC: configuration', () => {
  let client: DaprClient;
  beforeAll(() => {
    client = sdkClient(sidecar, 'GRPC');
  });
  afterAll(async () => {
    await client.stop();
  });

  it('get returns items with key, value, version and metadata; every item without keys', async () => {
    await raw.set('grpc.a', 'one||1');
    await raw.set('grpc.b', 'two');
    const res = await client.configuration.get('redisconfig', ['grpc.a', 'grpc.b', 'grpc.missing']);
    expect(res.items).toEqual({
      'grpc.a': { key: 'grpc.a', value: 'one', version: '1', metadata: {} },
      'grpc.b': { key: 'grpc.b', value: 'two', version: '', metadata: {} },
    });
    const all = await client.configuration.get('redisconfig', []);
    expect(Object.keys(all.items).sort()).toEqual(expect.arrayContaining(['grpc.a', 'grpc.b']));

    await pg.query(`INSERT INTO ${table} VALUES ('pg.a', 'x', '2', '{"owner":"ops"}')`);
    expect((await client.configuration.get('pgconfig', ['pg.a'])).items).toEqual({ 'pg.a': { key: 'pg.a', value: 'x', version: '2', metadata: { owner: 'ops' } } });
  });

  it('unknown stores fail as daprd fails them', async () => {
    const err = (await thrown(() => client.configuration.get('nope', ['a']))) as { code?: number; message: string };
    expect(err.code).toBe(GRPC_INVALID_ARGUMENT);
    expect(err.message).toMatch(/configuration store nope not found/);
  });

  it('subscribeWithKeys streams changes until stopped; stop ends the keyspace subscription in Redis', async () => {
    const seen: Record<string, { value: string; version: string }>[] = [];
    const sub = await client.configuration.subscribeWithKeys('redisconfig', ['grpc.watch'], async (res) => {
      seen.push(res.items as never);
    });
    // The SDK does not say when the stream is open: write until the first update arrives.
    let n = 0;
    await eventually('the first streamed update', async () => {
      await raw.set('grpc.watch', `v${++n}||${n}`);
      await new Promise((r) => setTimeout(r, 200));
      return seen.length;
    }, (len) => len > 0, 30_000);
    expect(seen[seen.length - 1]['grpc.watch']).toEqual({ key: 'grpc.watch', value: `v${n}`, version: String(n), metadata: {} });
    const channelName = '__keyspace@0__:grpc.watch';
    expect(((await raw.pubsub('NUMSUB', channelName)) as [string, number])[1]).toBe(1);

    await raw.del('grpc.watch');
    await eventually('the delete', () => seen[seen.length - 1]['grpc.watch'], (item) => item?.value === '');

    await sub.stop();
    await eventually('the Redis subscription to end', async () => ((await raw.pubsub('NUMSUB', channelName)) as [string, number])[1], (count) => count === 0, 20_000);
  });

  it('subscribeWithMetadata passes pgNotifyChannel to the PostgreSQL store', async () => {
    const seen: Record<string, { value: string }>[] = [];
    const sub = await client.configuration.subscribeWithMetadata('pgconfig', ['pg.flag'], { pgNotifyChannel: channel }, async (res) => {
      seen.push(res.items as never);
    });
    let n = 0;
    await pg.query(`INSERT INTO ${table} VALUES ('pg.flag', 'v0', '0', NULL)`);
    await eventually('a streamed PostgreSQL update', async () => {
      await pg.query(`UPDATE ${table} SET value = $1, version = $2 WHERE key = 'pg.flag'`, [`v${++n}`, String(n)]);
      await new Promise((r) => setTimeout(r, 200));
      return seen.length;
    }, (len) => len > 0, 30_000);
    expect(seen[seen.length - 1]['pg.flag']).toMatchObject({ key: 'pg.flag', value: `v${n}`, version: String(n) });
    await sub.stop();
  });
});

describe('HTTP API: configuration', () => {
  const base = () => `http://127.0.0.1:${sidecar.http}`;

  it('GET /v1.0/configuration/<store>?key= answers items as daprd marshals them (empty fields left out), 204 when none', async () => {
    await raw.set('http.a', 'one||4');
    await raw.set('http.b', 'bare');
    for (const version of ['v1.0', 'v1.0-alpha1']) {
      const res = await fetch(`${base()}/${version}/configuration/redisconfig?key=http.a&key=http.b&key=http.none`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ 'http.a': { value: 'one', version: '4' }, 'http.b': { value: 'bare' } });
    }
    const none = await fetch(`${base()}/v1.0/configuration/redisconfig?key=http.none`);
    expect(none.status).toBe(204);
    const unknown = await fetch(`${base()}/v1.0/configuration/nope?key=a`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ errorCode: 'ERR_CONFIGURATION_STORE_NOT_FOUND', message: 'configuration store nope not found' });
  });

  it('subscribe POSTs each change to the app at /configuration/<store>/<key>; unsubscribe stops it', async () => {
    const res = await fetch(`${base()}/v1.0/configuration/redisconfig/subscribe?key=http.watch`);
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await raw.set('http.watch', 'on||7');
    await eventually('the app callback', () => callbacks.filter((c) => c.path === '/configuration/redisconfig/http.watch').length, (n) => n > 0);
    expect(callbacks.find((c) => c.path === '/configuration/redisconfig/http.watch')!.body).toEqual({ id, items: { 'http.watch': { value: 'on', version: '7' } } });

    const un = await fetch(`${base()}/v1.0/configuration/redisconfig/${id}/unsubscribe`);
    expect(un.status).toBe(200);
    expect(await un.json()).toEqual({ ok: true });
    const seen = callbacks.length;
    await raw.set('http.watch', 'off||8');
    await new Promise((r) => setTimeout(r, 500));
    expect(callbacks.length).toBe(seen);
    const again = await fetch(`${base()}/v1.0-alpha1/configuration/redisconfig/${id}/unsubscribe`);
    expect(again.status).toBe(500);
    expect(await again.json()).toEqual({ message: `failed to unsubscribe to configuration request ${id}: subscription does not exist` });
  });

  it('a PostgreSQL subscription without a channel fails as ERR_CONFIGURATION_SUBSCRIBE', async () => {
    const res = await fetch(`${base()}/v1.0/configuration/pgconfig/subscribe?key=pg.a`);
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ errorCode: 'ERR_CONFIGURATION_SUBSCRIBE', message: expect.stringContaining('notifyChannel must be set') });
  });
});
