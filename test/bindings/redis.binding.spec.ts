import Redis from 'ioredis';
import type { TestingModule } from '@nestjs/testing';
import { BindingRequestError, BindingsService } from 'nest-dapr';
import { bootBindingsApp, uniqueSuffix } from './bindings-test-app';

describe('bindings.redis (real Redis)', () => {
  const prefix = `bindtest-${uniqueSuffix()}:`;
  let raw: Redis;
  let app: TestingModule;
  let bindings: BindingsService;

  beforeAll(async () => {
    raw = new Redis({ host: '127.0.0.1', port: 6379 });
    app = await bootBindingsApp([{ name: 'cache', type: 'bindings.redis', metadata: { redisHost: '127.0.0.1:6379' } }]);
    bindings = app.get(BindingsService);
  });
  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length) await raw.del(...keys);
    await raw.quit();
    await app?.close();
  });

  it('create stores the request bytes (JSON like Dapr) and get returns them', async () => {
    const key = `${prefix}order`;
    await bindings.invoke('cache', 'create', { id: 7, total: 12.5 }, { key });
    expect(await raw.get(key)).toBe('{"id":7,"total":12.5}');
    expect(await raw.ttl(key)).toBe(-1);
    await expect(bindings.invoke('cache', 'get', undefined, { key })).resolves.toMatchObject({ data: { id: 7, total: 12.5 } });

    await bindings.invoke('cache', 'create', 'plain', { key: `${prefix}s` });
    expect(await raw.get(`${prefix}s`)).toBe('"plain"');
  });

  it('ttlInSeconds sets an expiry on create and increment', async () => {
    await bindings.invoke('cache', 'create', 1, { key: `${prefix}ttl`, ttlInSeconds: '100' });
    const ttl = await raw.ttl(`${prefix}ttl`);
    expect(ttl).toBeGreaterThan(95);
    expect(ttl).toBeLessThanOrEqual(100);
    await bindings.invoke('cache', 'increment', undefined, { key: `${prefix}cnt`, ttlInSeconds: '50' });
    expect(await raw.ttl(`${prefix}cnt`)).toBeGreaterThan(45);
    await expect(bindings.invoke('cache', 'create', 1, { key: `${prefix}bad`, ttlInSeconds: 'soon' })).rejects.toThrow(/ttlInSeconds/);
  });

  it('increment counts and returns the new value', async () => {
    const key = `${prefix}counter`;
    await bindings.invoke('cache', 'increment', undefined, { key });
    await bindings.invoke('cache', 'increment', undefined, { key });
    const res = await bindings.invoke<number>('cache', 'increment', undefined, { key });
    expect(res.data).toBe(3);
    expect(await raw.get(key)).toBe('3');
  });

  it('delete removes the key; get of a missing key has no data; get with delete=true reads and deletes', async () => {
    const key = `${prefix}gone`;
    await raw.set(key, '"x"');
    await bindings.invoke('cache', 'delete', undefined, { key });
    expect(await raw.exists(key)).toBe(0);
    await expect(bindings.invoke('cache', 'get', undefined, { key })).resolves.toEqual({ data: undefined, metadata: {} });

    await raw.set(key, '"once"');
    await expect(bindings.invoke('cache', 'get', undefined, { key, delete: 'true' })).resolves.toMatchObject({ data: 'once' });
    expect(await raw.exists(key)).toBe(0);
  });

  it('requires the key metadata', async () => {
    await expect(bindings.invoke('cache', 'get')).rejects.toThrow(BindingRequestError);
  });
});
