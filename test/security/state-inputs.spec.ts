import { Test, type TestingModule } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprModule, StateKeyInvalidError, StateRequestInvalidError, StateService, type ComponentDefinition } from 'nest-dapr';
import { runId } from '../pubsub/pubsub-test-kit';
import { PG_URL, uniqueTables } from '../state/postgresql-support';
import { HOSTILE_STATE_KEYS, HOSTILE_STATE_QUERIES } from './hostile-inputs';

const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-hostile-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STORES: [string, () => ComponentDefinition, boolean][] = [
  ['state.in-memory', () => ({ name: 'store', type: 'state.in-memory' }), true],
  ['state.sqlite', () => ({ name: 'store', type: 'state.sqlite', metadata: { connectionString: join(dir, `${runId()}.db`) } }), true],
  ['state.redis', () => ({ name: 'store', type: 'state.redis', metadata: { redisHost: process.env.REDIS_HOST ?? '127.0.0.1:6379' } }), false],
  ['state.postgresql', () => ({ name: 'store', type: 'state.postgresql', metadata: { connectionString: PG_URL, ...uniqueTables('hostile') } }), true],
];

/**
 * Hostile state keys and queries (issue 13 item 12) against every real store:
 * each is refused with its typed error before anything reaches the store, and
 * keys that UTF-8 would merge (lone surrogates) never overwrite each other.
 */
describe.each(STORES)('hostile state input: %s', (_type, component, queryable) => {
  let app: TestingModule;
  let state: StateService;

  beforeAll(async () => {
    // A fresh app id per run: Redis keys are `<appId>||<key>` on a shared server.
    app = await Test.createTestingModule({ imports: [DaprModule.forRoot({ appId: `hostile-${runId()}`, components: [component()] })] }).compile();
    await app.init();
    state = app.get(StateService);
  });
  afterAll(() => app?.close());

  it.each(HOSTILE_STATE_KEYS.map((h) => [h.name, h] as const))('refuses the key: %s', async (_name, h) => {
    const key = h.key as string;
    for (const call of [
      () => state.save('store', { key, value: { x: 1 } }),
      () => state.get('store', key),
      () => state.delete('store', key),
      () => state.getBulk('store', [key]),
      () => state.transaction('store', [{ operation: 'upsert', request: { key, value: 1 } }]),
    ]) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StateKeyInvalidError);
      expect(err).toMatchObject({ errorCode: 'ERR_MALFORMED_REQUEST', message: expect.stringMatching(h.reason) });
    }
  });

  it('keeps keys that differ only in a surrogate apart: the lone one is refused, nothing is overwritten', async () => {
    await state.save('store', { key: 'sur\ufffd', value: 'replacement-char' });
    await expect(state.save('store', { key: 'sur\ud800', value: 'high' })).rejects.toBeInstanceOf(StateKeyInvalidError);
    await expect(state.save('store', { key: 'sur\udc00', value: 'low' })).rejects.toBeInstanceOf(StateKeyInvalidError);
    await expect(state.get('store', 'sur\ufffd')).resolves.toBe('replacement-char');
    // Well-formed pairs are ordinary keys.
    await state.save('store', { key: 'emoji-\ud83d\ude00', value: 1 });
    await expect(state.get('store', 'emoji-\ud83d\ude00')).resolves.toBe(1);
  });

  // state.redis has no query API here (StateStoreFeatureNotSupportedError), so only the query stores get these rows.
  if (queryable) {
    it.each(HOSTILE_STATE_QUERIES.map((h) => [h.name, h] as const))('refuses the query: %s', async (_name, h) => {
      const err = await state.query('store', h.query as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StateRequestInvalidError);
      expect(err).toMatchObject({ errorCode: 'ERR_MALFORMED_REQUEST', message: expect.stringMatching(h.reason) });
    });
  }
});
