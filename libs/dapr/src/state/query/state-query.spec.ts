import { StateRequestInvalidError } from 'nest-dapr';
import { evaluateStateQuery } from '../../spi/kit/state-query.evaluator';
import { parseStateQuery } from './state-query.filter';

const items = [
  { k: 'a', v: { person: { org: 'Dev Ops', id: 1 }, state: 'CA' } },
  { k: 'b', v: { person: { org: 'Finance', id: 2 }, state: 'WA' } },
  { k: 'c', v: { person: { org: 'Finance', id: 3 }, state: 'NY' } },
  { k: 'd', v: { person: { org: 'Dev Ops', id: 4 }, state: 'WA' } },
];
const run = (q: Parameters<typeof parseStateQuery>[0]) =>
  evaluateStateQuery(
    items.map((i) => ({ value: i.v, row: i.k })),
    parseStateQuery(q),
  );

describe('state query', () => {
  it('evaluates the documented example: OR / AND / IN with sort and paging', () => {
    const q = {
      filter: { OR: [{ EQ: { 'person.org': 'Dev Ops' } }, { AND: [{ EQ: { 'person.org': 'Finance' } }, { IN: { state: ['CA', 'WA'] } }] }] },
      sort: [{ key: 'state', order: 'DESC' as const }, { key: 'person.id' }],
      page: { limit: 2 },
    };
    const p1 = run(q);
    expect(p1).toEqual({ rows: ['b', 'd'], token: '2' });
    expect(run({ ...q, page: { limit: 2, token: p1.token } })).toEqual({ rows: ['a'], token: undefined });
  });

  it('compares numbers numerically and strings lexically', () => {
    expect(run({ filter: { GT: { 'person.id': 2 } } }).rows).toEqual(['c', 'd']);
    expect(run({ filter: { LTE: { 'person.id': 2 } } }).rows).toEqual(['a', 'b']);
    expect(run({ filter: { NEQ: { state: 'WA' } } }).rows).toEqual(['a', 'c']);
    expect(run({ filter: { GTE: { state: 'NY' } } }).rows).toEqual(['c', 'b', 'd'].sort());
  });

  it('rejects malformed queries', () => {
    expect(() => parseStateQuery({ filter: { AND: [{ EQ: { a: 1 } }] } })).toThrow(StateRequestInvalidError);
    expect(() => parseStateQuery({ filter: { LIKE: { a: 1 } } })).toThrow(/unknown query filter/);
    expect(() => parseStateQuery({ filter: { EQ: { a: 1, b: 2 } } })).toThrow(StateRequestInvalidError);
    expect(() => parseStateQuery({ filter: { IN: { a: [] } } })).toThrow(StateRequestInvalidError);
    expect(() => parseStateQuery({ page: { limit: 1, token: 'x' } })).toThrow(/token/);
    expect(() => parseStateQuery({ sort: [{ key: 'a', order: 'UP' as never }] })).toThrow(/ASC or DESC/);
  });
});
