/**
 * Dapr's state conformance scenarios (components-contrib
 * `tests/conformance/state/state.go`, reference §10.1), written once and run
 * against every state driver through a real Nest app:
 * `describeStateConformance('state.redis', () => ({ name, type, metadata }))`.
 */
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  DaprModule,
  ETagInvalidError,
  ETagMismatchError,
  StateKeyInvalidError,
  StateRequestInvalidError,
  StateService,
  StateStore,
  StateStoreFeatureNotSupportedError,
  StateStoreNotFoundError,
  type ComponentDefinition,
} from 'nest-dapr';

export interface StateConformanceOptions {
  /** An ETag the store accepts the shape of but that never matches (Dapr's `badEtag`). */
  badEtag?: string;
  /** An ETag of the wrong shape for this store, when the store has one (Redis: non-integer). */
  invalidEtag?: string;
  /** False for stores whose transactions do not roll back (Redis MULTI). */
  atomicTransactions?: boolean;
  /** The store implements the query API. */
  query?: boolean;
  /** False for Redis: Dapr's set script accepts any ETag on a key that does not exist. */
  etagOnMissingKeyIsMismatch?: boolean;
  /** The store reports `ttlExpireTime` on get. */
  ttlExpireTime?: boolean;
  appId?: string;
}

interface Counter {
  n: number;
}

export function describeStateConformance(
  title: string,
  component: () => ComponentDefinition | Promise<ComponentDefinition>,
  opts: StateConformanceOptions = {},
): void {
  const badEtag = opts.badEtag ?? 'bad-etag';
  const appId = opts.appId ?? `conf-${randomUUID().slice(0, 8)}`;
  const storeName = 'statestore';

  // Declared here so that `@StateStore` records the name before the module compiles.
  @Injectable()
  class CounterService {
    constructor(@StateStore(storeName) readonly store: StateStore<Counter>) {}
  }

  describe(`state conformance: ${title}`, () => {
    let app: INestApplication;
    let state: StateService;
    let store: StateStore<Counter>;
    const run = randomUUID().replace(/-/g, '');
    const k = (suffix: string) => `${run}-${suffix}`;

    beforeAll(async () => {
      const def = await component();
      const moduleRef = await Test.createTestingModule({
        imports: [DaprModule.forRoot({ appId, components: [{ ...def, name: storeName }] })],
        providers: [CounterService],
      }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
      state = app.get(StateService);
      store = app.get(CounterService).store;
    });

    afterAll(async () => {
      await app?.close();
    });

    const scenarios: [string, unknown][] = [
      ['int', 123],
      ['bool', true],
      ['string-with-json', '{"a":"b"}'],
      ['string', 'hello world'],
      ['empty-string', ''],
      ['struct', { message: `set${run}` }],
      ['struct-with-int', { message: 42 }],
      ['array', [1, 'two', { three: 3 }]],
      ['null', null],
      ['float', 15.25],
    ];

    describe('set and get', () => {
      it('round-trips every value type as JSON and bytes byte-exact', async () => {
        for (const [suffix, value] of scenarios) await state.save(storeName, { key: k(suffix), value });
        const bytes = Buffer.from([0x01, 0x00, 0xff, 0x7b, 0x22]);
        await state.save(storeName, { key: k('bytes'), value: bytes });
        await state.save(storeName, { key: k('uint8'), value: new Uint8Array([1]) });
        await state.save(storeName, { key: k('bytes-text'), value: Buffer.from('hello') });
        for (const [suffix, value] of scenarios) {
          expect(await state.get(storeName, k(suffix))).toEqual(value);
        }
        const got = await state.get<Buffer>(storeName, k('bytes'));
        expect(Buffer.isBuffer(got)).toBe(true);
        expect(Buffer.compare(got!, bytes)).toBe(0);
        expect([...(await state.get<Uint8Array>(storeName, k('uint8')))!]).toEqual([1]);
        expect((await state.get<Buffer>(storeName, k('bytes-text')))!.toString()).toBe('hello');
      });

      it('returns an etag with every item and undefined for a missing key', async () => {
        const item = await state.getItem(storeName, k('int'));
        expect(item).toMatchObject({ key: k('int'), value: 123 });
        expect(typeof item!.etag).toBe('string');
        expect(item!.etag).not.toBe('');
        await expect(state.get(storeName, k('never-written'))).resolves.toBeUndefined();
        await expect(state.getItem(storeName, k('never-written'))).resolves.toBeUndefined();
      });

      it('last write wins without an etag', async () => {
        await state.save(storeName, { key: k('lww'), value: 1 });
        await state.save(storeName, [{ key: k('lww'), value: 2 }]);
        expect(await state.get(storeName, k('lww'))).toBe(2);
      });
    });

    describe('delete', () => {
      it('deletes keys, including ones never written', async () => {
        await state.save(storeName, { key: k('to-be-deleted'), value: 'x' });
        await state.delete(storeName, k('to-be-deleted'));
        await state.delete(storeName, k('never-existed'));
        await expect(state.get(storeName, k('to-be-deleted'))).resolves.toBeUndefined();
        await expect(state.getItem(storeName, k('never-existed'))).resolves.toBeUndefined();
      });
    });

    describe('bulk', () => {
      const bulk: [string, unknown][] = [
        ['bulk-int', 123],
        ['bulk-bool', true],
        ['bulk-string', 'hello world'],
        ['bulk-struct', { message: 'test' }],
        ['bulk-to-be-deleted', 'del'],
        ['bulk-to-be-deleted-too', 'del2'],
      ];

      it('bulk set then get each item', async () => {
        await state.save(
          storeName,
          [...bulk.map(([s, value]) => ({ key: k(s), value })), { key: k('bulk-bytes'), value: Buffer.from([1]) }],
        );
        for (const [s, value] of bulk) expect(await state.get(storeName, k(s))).toEqual(value);
        expect([...(await state.get<Buffer>(storeName, k('bulk-bytes')))!]).toEqual([1]);
      });

      it('bulk get returns one result per key, a missing key as { key }', async () => {
        const keys = bulk.map(([s]) => k(s));
        const res = await state.getBulk(storeName, keys, { parallelism: 3 });
        expect(res).toHaveLength(keys.length);
        for (const [s, value] of bulk) {
          const r = res.find((x) => x.key === k(s))!;
          expect(r.error).toBeUndefined();
          expect(r.value).toEqual(value);
          expect(r.etag).toBeTruthy();
        }
        const mixed = await state.getBulk(storeName, [k('doesnotexist'), k('bulk-int')]);
        expect(mixed).toHaveLength(2);
        expect(mixed.find((x) => x.key === k('doesnotexist'))).toEqual({ key: k('doesnotexist') });
        expect(mixed.find((x) => x.key === k('bulk-int'))!.value).toBe(123);
        expect(await state.getBulk(storeName, [])).toEqual([]);
      });

      it('bulk delete removes every key', async () => {
        await state.deleteBulk(storeName, [k('bulk-to-be-deleted'), { key: k('bulk-to-be-deleted-too') }]);
        await expect(state.get(storeName, k('bulk-to-be-deleted'))).resolves.toBeUndefined();
        await expect(state.get(storeName, k('bulk-to-be-deleted-too'))).resolves.toBeUndefined();
      });
    });

    describe('transactions', () => {
      it('applies groups of operations in order', async () => {
        await state.transaction(storeName, [
          { operation: 'upsert', request: { key: k('trx-int'), value: 123 } },
          { operation: 'upsert', request: { key: k('trx-bool'), value: true } },
          { operation: 'upsert', request: { key: k('trx-bytes'), value: Buffer.from([1, 2]) } },
          { operation: 'upsert', request: { key: k('trx-string'), value: 'hello' } },
          { operation: 'upsert', request: { key: k('trx-to-be-deleted'), value: 'x' } },
        ]);
        expect(await state.get(storeName, k('trx-int'))).toBe(123);
        expect(await state.get(storeName, k('trx-bool'))).toBe(true);
        expect([...(await state.get<Buffer>(storeName, k('trx-bytes')))!]).toEqual([1, 2]);
        expect(await state.get(storeName, k('trx-to-be-deleted'))).toBe('x');
        await state.transaction(storeName, [
          { operation: 'upsert', request: { key: k('trx-struct'), value: { message: 'm' } } },
          { operation: 'delete', request: { key: k('trx-to-be-deleted') } },
        ]);
        expect(await state.get(storeName, k('trx-struct'))).toEqual({ message: 'm' });
        expect(await state.get(storeName, k('trx-to-be-deleted'))).toBeUndefined();
        await state.transaction(storeName, [{ operation: 'upsert', request: { key: k('trx-too'), value: 1 } }]);
        expect(await state.get(storeName, k('trx-too'))).toBe(1);
        await state.transaction(storeName, [{ operation: 'delete', request: { key: k('trx-too') } }]);
        expect(await state.get(storeName, k('trx-too'))).toBeUndefined();
      });

      it('deleting a non-existent key in a transaction is not an error', async () => {
        await state.transaction(storeName, [{ operation: 'delete', request: { key: k('trx-missing') } }]);
        await state.transaction(storeName, []);
      });

      it('transaction-order: later operations see earlier ones', async () => {
        await state.save(storeName, { key: k('order-1'), value: 'value1' });
        await state.transaction(storeName, [
          { operation: 'delete', request: { key: k('order-1') } },
          { operation: 'upsert', request: { key: k('order-2'), value: 'value2' } },
          { operation: 'delete', request: { key: k('order-2') } },
          { operation: 'upsert', request: { key: k('order-3'), value: 'value3' } },
        ]);
        expect(await state.get(storeName, k('order-1'))).toBeUndefined();
        expect(await state.get(storeName, k('order-2'))).toBeUndefined();
        expect(await state.get(storeName, k('order-3'))).toBe('value3');
      });

      it('an etag mismatch fails the transaction with a typed error', async () => {
        await state.save(storeName, { key: k('trx-etag'), value: 'before' });
        const err = await state
          .transaction(storeName, [
            { operation: 'upsert', request: { key: k('trx-etag-other'), value: 'other' } },
            { operation: 'upsert', request: { key: k('trx-etag'), value: 'after', etag: badEtag } },
          ])
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ETagMismatchError);
        expect((err as ETagMismatchError).errorCode).toBe('ERR_STATE_TRANSACTION');
        expect(await state.get(storeName, k('trx-etag'))).toBe('before');
        if (opts.atomicTransactions !== false) {
          // Atomic stores: nothing of a failed transaction is applied.
          expect(await state.get(storeName, k('trx-etag-other'))).toBeUndefined();
        }
      });

      it('rejects an unknown operation before touching the store', async () => {
        await expect(
          state.transaction(storeName, [
            { operation: 'upsert', request: { key: k('trx-never'), value: 1 } },
            { operation: 'merge', request: { key: k('x') } } as never,
          ]),
        ).rejects.toBeInstanceOf(StateRequestInvalidError);
        expect(await state.get(storeName, k('trx-never'))).toBeUndefined();
      });
    });

    describe('etag', () => {
      it('set and delete honour etags, bulk reports the failing key', async () => {
        const [k1, k2, k3, k4] = [k('etag-1'), k('etag-2'), k('etag-3'), k('etag-4')];
        await state.save(storeName, [
          { key: k1, value: 1 },
          { key: k2, value: 2 },
          { key: k3, value: 3 },
          { key: k4, value: 4 },
        ]);
        const e1 = (await state.getItem(storeName, k1))!.etag!;
        const bulk = await state.getBulk(storeName, [k1, k2, k3, k4]);
        for (const b of bulk) expect(b.etag).toBeTruthy();

        const mismatch = await state.save(storeName, { key: k1, value: 9, etag: badEtag }).catch((e: unknown) => e);
        expect(mismatch).toBeInstanceOf(ETagMismatchError);
        expect(mismatch).toMatchObject({ errorCode: 'ERR_STATE_SAVE', key: k1, nonRetriable: true });

        await state.save(storeName, { key: k1, value: 10, etag: e1 });
        const e1b = (await state.getItem(storeName, k1))!.etag!;
        expect(e1b).not.toBe(e1);
        expect(await state.get(storeName, k1)).toBe(10);

        // Bulk: one bad etag fails only that item.
        const e2 = (await state.getItem(storeName, k2))!.etag!;
        const bulkErr = await state
          .save(storeName, [
            { key: k1, value: 11, etag: e1 },
            { key: k2, value: 12, etag: e2 },
          ])
          .catch((e: unknown) => e);
        expect(bulkErr).toBeInstanceOf(ETagMismatchError);
        expect((bulkErr as ETagMismatchError).key).toBe(k1);
        expect((await state.getItem(storeName, k1))!.etag).toBe(e1b);
        expect(await state.get(storeName, k1)).toBe(10);
        const e2b = (await state.getItem(storeName, k2))!.etag!;
        expect(e2b).not.toBe(e2);
        expect(await state.get(storeName, k2)).toBe(12);

        // Delete with a bad etag, then the right one.
        await expect(state.delete(storeName, k1, { etag: badEtag })).rejects.toMatchObject({
          errorCode: 'ERR_STATE_DELETE',
          nonRetriable: true,
        });
        await state.delete(storeName, k1, { etag: e1b });
        const gone = await state.getItem(storeName, k1);
        expect(gone).toBeUndefined();

        // Bulk delete: good k3, bad k4.
        const e3 = (await state.getItem(storeName, k3))!.etag!;
        const delErr = await state
          .deleteBulk(storeName, [
            { key: k3, etag: e3 },
            { key: k4, etag: badEtag },
          ])
          .catch((e: unknown) => e);
        expect(delErr).toBeInstanceOf(ETagMismatchError);
        expect((delErr as ETagMismatchError).key).toBe(k4);
        expect(await state.get(storeName, k3)).toBeUndefined();
        expect(await state.get(storeName, k4)).toBe(4);
      });

      if (opts.etagOnMissingKeyIsMismatch !== false) {
        it('an etag on a missing key is a mismatch', async () => {
          await expect(state.save(storeName, { key: k('etag-missing'), value: 1, etag: badEtag })).rejects.toBeInstanceOf(
            ETagMismatchError,
          );
        });
      }

      if (opts.invalidEtag !== undefined) {
        it('an etag of the wrong shape is ETagInvalidError', async () => {
          await state.save(storeName, { key: k('etag-shape'), value: 1 });
          await expect(
            state.save(storeName, { key: k('etag-shape'), value: 2, etag: opts.invalidEtag }),
          ).rejects.toBeInstanceOf(ETagInvalidError);
          await expect(state.delete(storeName, k('etag-shape'), { etag: opts.invalidEtag })).rejects.toMatchObject({
            nonRetriable: true,
          });
        });
      }
    });

    describe('first-write', () => {
      for (const etag of [undefined, '']) {
        it(`first-write without etag (${JSON.stringify(etag)}) fails on the second write`, async () => {
          const key = k(`fw-${etag === undefined ? 'nil' : 'empty'}`);
          await state.delete(storeName, key);
          const item = { key, value: { message: 'first' }, etag, options: { concurrency: 'first-write' as const } };
          await state.save(storeName, item);
          expect(await state.get(storeName, key)).toEqual({ message: 'first' });
          await expect(state.save(storeName, item)).rejects.toBeInstanceOf(Error);
        });
      }

      it('first-write with etag: the current etag works once, the old one fails', async () => {
        const key = k('fw-etag');
        await state.save(storeName, { key, value: 'v1' });
        const e1 = (await state.getItem(storeName, key))!.etag!;
        await state.save(storeName, { key, value: 'v2', etag: e1, options: { concurrency: 'first-write' } });
        const e2 = (await state.getItem(storeName, key))!.etag!;
        expect(e2).not.toBe(e1);
        await expect(
          state.save(storeName, { key, value: 'v3', etag: e1, options: { concurrency: 'first-write' } }),
        ).rejects.toBeInstanceOf(ETagMismatchError);
        expect(await state.get(storeName, key)).toBe('v2');
      });
    });

    describe('ttl', () => {
      it('rejects a non-numeric ttlInSeconds with a typed error', async () => {
        const err = await state
          .save(storeName, { key: k('ttl-bad'), value: 1, metadata: { ttlInSeconds: 'foo' } })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StateRequestInvalidError);
        expect((err as Error).message).toMatch(/ttlInSeconds "foo"/);
        await expect(state.get(storeName, k('ttl-bad'))).resolves.toBeUndefined();
      });

      it('an item with ttlInSeconds 2 is readable at once and expires', async () => {
        const key = k('ttl-short');
        await state.save(storeName, { key, value: 'short', metadata: { ttlInSeconds: '2' } });
        const item = await state.getItem(storeName, key);
        expect(item?.value).toBe('short');
        if (opts.ttlExpireTime) {
          const at = Date.parse(item!.metadata!.ttlExpireTime);
          expect(Math.abs(at - (Date.now() + 2000))).toBeLessThan(2500);
        }
        await waitFor(async () => (await state.get(storeName, key)) === undefined, 6000);
      });

      it('ttlInSeconds -1 keeps the item (and removes an earlier TTL)', async () => {
        const key = k('ttl-persist');
        await state.save(storeName, { key, value: 'a', metadata: { ttlInSeconds: '1' } });
        await state.save(storeName, { key, value: 'b', metadata: { ttlInSeconds: '-1' } });
        const item = await state.getItem(storeName, key);
        expect(item?.metadata?.ttlExpireTime).toBeUndefined();
        // Past the first TTL on every store (SQLite's clock has whole seconds).
        await sleep(1500);
        expect(await state.get(storeName, key)).toBe('b');
      });
    });

    describe('query', () => {
      if (!opts.query) {
        it('query on a store without it is StateStoreFeatureNotSupportedError', async () => {
          await expect(state.query(storeName, { filter: { EQ: { message: 'x' } } })).rejects.toBeInstanceOf(
            StateStoreFeatureNotSupportedError,
          );
        });
        return;
      }

      beforeAll(async () => {
        await state.save(storeName, [
          { key: k('q-struct'), value: { message: `test${run}` } },
          { key: k('q-struct-2'), value: { message: `${run}test` } },
          { key: k('q-ops'), value: { product: { value: 15 }, status: 'ACTIVE', message: `${run}message` } },
          { key: k('q-ops-inactive'), value: { product: { value: 12 }, status: 'INACTIVE', message: `${run}message` } },
          { key: k('q-int'), value: { message: 42 } },
        ]);
      });

      const keysOf = (r: { results: { key: string }[] }) => r.results.map((x) => x.key);

      it('OR of EQ and IN', async () => {
        const r = await state.query(storeName, {
          filter: { OR: [{ EQ: { message: 'dummy' } }, { IN: { message: [`test${run}`, 'dummy'] } }] },
        });
        expect(keysOf(r)).toEqual([k('q-struct')]);
        expect(r.results[0].value).toEqual({ message: `test${run}` });
        expect(r.results[0].etag).toBeTruthy();
      });

      it('AND of EQ, GTE, LT and NEQ on nested fields', async () => {
        const r = await state.query(storeName, {
          filter: {
            AND: [
              { EQ: { message: `${run}message` } },
              { GTE: { 'product.value': 10 } },
              { LT: { 'product.value': 20 } },
              { NEQ: { status: 'INACTIVE' } },
            ],
          },
        });
        expect(keysOf(r)).toEqual([k('q-ops')]);
      });

      it('OR of ANDs with GT and LTE', async () => {
        const r = await state.query(storeName, {
          filter: {
            OR: [
              { AND: [{ EQ: { message: `${run}message` } }, { GT: { 'product.value': 11.1 } }, { EQ: { status: 'INACTIVE' } }] },
              { AND: [{ EQ: { message: `${run}message` } }, { LTE: { 'product.value': 0.5 } }, { EQ: { status: 'ACTIVE' } }] },
            ],
          },
        });
        expect(keysOf(r)).toEqual([k('q-ops-inactive')]);
      });

      it('sorts and pages with a token', async () => {
        const filter = { IN: { message: [`test${run}`, `${run}test`, `${run}message`] } };
        const sorted = await state.query(storeName, { filter, sort: [{ key: 'message', order: 'DESC' }, { key: 'product.value' }] });
        expect(keysOf(sorted)).toEqual([k('q-struct'), k('q-struct-2'), k('q-ops-inactive'), k('q-ops')]);
        const p1 = await state.query(storeName, { filter, sort: [{ key: 'message' }, { key: 'product.value' }], page: { limit: 3 } });
        expect(keysOf(p1)).toEqual([k('q-ops-inactive'), k('q-ops'), k('q-struct-2')]);
        expect(p1.token).toBeTruthy();
        const p2 = await state.query(storeName, {
          filter,
          sort: [{ key: 'message' }, { key: 'product.value' }],
          page: { limit: 3, token: p1.token },
        });
        expect(keysOf(p2)).toEqual([k('q-struct')]);
        expect(p2.token).toBeUndefined();
      });

      it('rejects a malformed filter', async () => {
        await expect(state.query(storeName, { filter: { AND: [{ EQ: { a: 1 } }] } })).rejects.toBeInstanceOf(
          StateRequestInvalidError,
        );
      });
    });

    describe('bad input', () => {
      it('a key with || is StateKeyInvalidError', async () => {
        await expect(state.save(storeName, { key: 'a||b', value: 1 })).rejects.toBeInstanceOf(StateKeyInvalidError);
        await expect(state.get(storeName, 'a||b')).rejects.toBeInstanceOf(StateKeyInvalidError);
        await expect(state.delete(storeName, 'a||b')).rejects.toBeInstanceOf(StateKeyInvalidError);
      });

      it('an unknown store is StateStoreNotFoundError naming the known stores', async () => {
        const err = await state.get('nope', 'k').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StateStoreNotFoundError);
        expect((err as Error).message).toContain(storeName);
        expect(err).toMatchObject({ errorCode: 'ERR_STATE_STORE_NOT_FOUND' });
      });

      it('an unknown concurrency mode is rejected', async () => {
        await expect(
          state.save(storeName, { key: k('cc'), value: 1, options: { concurrency: 'sometimes' as never } }),
        ).rejects.toBeInstanceOf(StateRequestInvalidError);
      });
    });

    describe('@StateStore handle and concurrency', () => {
      it('the injected handle reads and writes the same store', async () => {
        await store.save(k('handle'), { n: 7 });
        expect(await store.get(k('handle'))).toEqual({ n: 7 });
        expect(await state.get(storeName, k('handle'))).toEqual({ n: 7 });
        await store.delete(k('handle'));
        expect(await store.get(k('handle'))).toBeUndefined();
      });

      it('50 concurrent read-modify-write increments through etag retries end at exactly 50', async () => {
        const key = k('counter');
        await store.save(key, { n: 0 });
        let conflicts = 0;
        const increment = async () => {
          for (;;) {
            const item = await store.getItem(key);
            try {
              await store.save(key, { n: item!.value.n + 1 }, { etag: item!.etag });
              return;
            } catch (err) {
              if (!(err instanceof ETagMismatchError)) throw err;
              conflicts++;
            }
          }
        };
        await Promise.all(Array.from({ length: 50 }, increment));
        expect(await store.get(key)).toEqual({ n: 50 });
        // The race is real: at least some writers had to retry.
        expect(conflicts).toBeGreaterThan(0);
      });
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
