import Redis from 'ioredis';
import type { TestingModule } from '@nestjs/testing';
import { ConfigurationGetError, ConfigurationService, ConfigurationStoreNotFoundError, ConfigurationUnsubscribeError } from 'nest-dapr';
import { bootConfigurationApp, UpdateLog, WatchAllConfig } from './configuration-test-app';
import { eventually, PrivateRedis } from './private-servers';

/**
 * configuration.redis against a redis-server of this suite's own (CONFIG SET
 * and KEYS * would reach other suites on the shared one, and the restart test
 * kills it).
 */
describe('configuration.redis (private redis-server)', () => {
  let server: PrivateRedis;
  let raw: Redis;
  let app: TestingModule;
  let config: ConfigurationService;

  beforeAll(async () => {
    server = await PrivateRedis.start();
    raw = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null });
    raw.on('error', () => undefined);
    // Something another client turned on: the store must keep it when it adds its own classes.
    await raw.config('SET', 'notify-keyspace-events', 'El');
    app = await bootConfigurationApp([{ name: 'config', type: 'configuration.redis', metadata: { redisHost: `127.0.0.1:${server.port}` } }], [WatchAllConfig]);
    config = app.get(ConfigurationService);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    raw?.disconnect();
    await server?.stop();
  });

  it('get reads value||version, leaves out missing, empty and non-string keys, and reads every key when none are given', async () => {
    await raw.set('cfg.a', 'one||3');
    await raw.set('cfg.b', 'plain');
    await raw.set('cfg.c', 'x||7||ignored');
    await raw.set('cfg.empty', '');
    await raw.hset('cfg.hash', 'f', 'v');
    const res = await config.get('config', ['cfg.a', 'cfg.b', 'cfg.c', 'cfg.empty', 'cfg.hash', 'cfg.missing']);
    expect(res).toEqual({
      items: {
        'cfg.a': { key: 'cfg.a', value: 'one', version: '3', metadata: {} },
        'cfg.b': { key: 'cfg.b', value: 'plain', version: '', metadata: {} },
        'cfg.c': { key: 'cfg.c', value: 'x', version: '7', metadata: {} },
      },
    });
    const all = await config.get('config');
    expect(Object.keys(all.items).filter((k) => k.startsWith('cfg.')).sort()).toEqual(['cfg.a', 'cfg.b', 'cfg.c']);
    await expect(config.get('config', [])).resolves.toEqual(all);
  });

  it('turns on the keyspace classes Dapr needs and keeps the ones already set', async () => {
    const [, flags] = (await raw.config('GET', 'notify-keyspace-events')) as string[];
    for (const c of ['K', 'g', '$', 'x', 'e', 'E', 'l']) expect(flags).toContain(c);
  });

  it('subscribe reports a set with its version and a delete as an empty item, only for its keys, until unsubscribed', async () => {
    const log = new UpdateLog();
    const sub = await config.subscribe('config', ['sub.a', 'sub.b'], log.handler);
    expect(sub.id).toMatch(/^[0-9a-f-]{36}$/);
    await raw.set('sub.a', 'on||1');
    await raw.set('sub.other', 'x||1');
    await raw.set('sub.b', 'blue||4');
    await eventually('both updates', () => log.of('sub.b').length > 0 && log.of('sub.a').length > 0);
    expect(log.last('sub.a')).toEqual({ key: 'sub.a', value: 'on', version: '1', metadata: {} });
    expect(log.last('sub.b')).toEqual({ key: 'sub.b', value: 'blue', version: '4', metadata: {} });
    await raw.del('sub.a');
    await eventually('the delete', () => log.last('sub.a')?.value === '');
    expect(log.last('sub.a')).toEqual({ key: 'sub.a', value: '', version: '', metadata: {} });
    // An expiry is a generic keyspace event too.
    await raw.set('sub.b', 'soon||5', 'PX', 50);
    await eventually('the expiry', () => log.last('sub.b')?.version === '' && log.of('sub.b').some((i) => i.version === '5'), 20_000);
    expect(log.updates.some((u) => 'sub.other' in u)).toBe(false);

    await sub.unsubscribe();
    const seen = log.updates.length;
    await raw.set('sub.a', 'after||9');
    await new Promise((r) => setTimeout(r, 500));
    expect(log.updates.length).toBe(seen);
    await expect(sub.unsubscribe()).rejects.toThrow(ConfigurationUnsubscribeError);
  });

  it('@OnConfigurationChange with no keys receives changes of any key, with its store and subscription id', async () => {
    const watcher = app.get(WatchAllConfig);
    await raw.set('deco.flag', 'true||2');
    await eventually('the decorated handler', () => watcher.log.of('deco.flag').length > 0);
    expect(watcher.log.last('deco.flag')).toEqual({ key: 'deco.flag', value: 'true', version: '2', metadata: {} });
    expect(watcher.contexts[watcher.contexts.length - 1]).toEqual({ store: 'config', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('names unknown stores and wraps store failures in Dapr\'s error codes', async () => {
    await expect(config.get('nope', ['a'])).rejects.toThrow(ConfigurationStoreNotFoundError);
    await expect(config.get('nope', ['a'])).rejects.toMatchObject({ errorCode: 'ERR_CONFIGURATION_STORE_NOT_FOUND' });
    await expect(config.subscribe('nope', [], () => undefined)).rejects.toThrow(/known: config/);
    await raw.rpush('cfg.list', 'x');
    // KEYS and MGET do not fail on other types: only a broken server does. A closed store is one.
    const other = await bootConfigurationApp([{ name: 'config', type: 'configuration.redis', metadata: { redisHost: `127.0.0.1:${server.port}` } }]);
    const closedService = other.get(ConfigurationService);
    await closedService.get('config', ['cfg.a']);
    await other.close();
    await expect(closedService.get('config', ['cfg.a'])).rejects.toThrow(ConfigurationGetError);
  });

  it('a subscription survives a restart of the server: it resubscribes, turns notifications on again and reports what changed meanwhile', async () => {
    const log = new UpdateLog();
    await config.subscribe('config', ['rs.a', 'rs.b'], log.handler);
    await raw.set('rs.a', 'before||1');
    await eventually('the first update', () => log.last('rs.a')?.value === 'before');

    await server.down();
    await server.up();
    // Written before the store is back: a restarted server notifies nobody until the store turns notifications on again.
    const [[, flags], [, ok]] = (await raw.multi().config('GET', 'notify-keyspace-events').set('rs.b', 'during||2').exec()) as [[null, string[]], [null, string]];
    expect(ok).toBe('OK');
    const unnotified = !flags[1]?.includes('K');

    // rs.a was lost with the restart (no persistence): reported as deleted; rs.b as written.
    await eventually('the resync after the restart', () => log.last('rs.b')?.value === 'during' && log.last('rs.a')?.value === '', 30_000);
    expect(log.last('rs.b')).toEqual({ key: 'rs.b', value: 'during', version: '2', metadata: {} });

    // Live notifications work again.
    await raw.set('rs.a', 'after||3');
    await eventually('a live update after the restart', () => log.last('rs.a')?.value === 'after', 20_000);
    expect(log.last('rs.a')).toEqual({ key: 'rs.a', value: 'after', version: '3', metadata: {} });
    const [, flagsAfter] = (await raw.config('GET', 'notify-keyspace-events')) as string[];
    expect(flagsAfter).toEqual(expect.stringContaining('K'));
    // Whether the write raced the store's reconnect is recorded for the log: unnotified means only the re-read could report it.
    process.stdout.write(`redis restart: change written while notifications were off: ${unnotified}\n`);

    // Decisively: a server where the store cannot turn notifications on (CONFIG renamed, as managed Redis
    // forbids it). What is written there is never notified, so only a re-read can report it.
    await server.down();
    await server.up(['--rename-command', 'CONFIG', 'opsconfig']);
    // Both keys were lost again with the restart: the re-read reports them deleted.
    await eventually('the re-read after the second restart', () => log.last('rs.a')?.value === '' && log.last('rs.b')?.value === '', 30_000);
    expect(((await raw.call('opsconfig', 'GET', 'notify-keyspace-events')) as string[])[1]).toBe('');
    const before = log.of('rs.b').length;
    await raw.set('rs.b', 'silent||9');
    await new Promise((r) => setTimeout(r, 500));
    expect(log.of('rs.b')).toHaveLength(before);
    // The subscriber connection drops (as on a network blip): it comes back and the re-read reports the silent write.
    await raw.client('KILL', 'TYPE', 'pubsub');
    await eventually('the re-read after the reconnect', () => log.last('rs.b')?.version === '9', 30_000);
    expect(log.last('rs.b')).toEqual({ key: 'rs.b', value: 'silent', version: '9', metadata: {} });
    // An operator turns notifications on: the store had subscribed again, so live updates flow.
    await raw.call('opsconfig', 'SET', 'notify-keyspace-events', 'Kg$xe');
    await raw.set('rs.a', 'live||10');
    await eventually('a live update on the second server', () => log.last('rs.a')?.version === '10', 20_000);
  }, 120_000);
});
