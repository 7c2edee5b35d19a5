import type { ParsedStateQuery, QueryFilter, Scalar } from '../state-query.spi';

/** One stored item a driver offers to the evaluator (its value already JSON-decoded). */
export interface QueryCandidate<R> {
  value: unknown;
  row: R;
}

/**
 * Evaluates a parsed query over items in memory: filter, then sort, then the
 * page. Used by stores without a query engine of their own (in-memory, SQLite).
 * The paging token is the offset of the next page, present only when more
 * results follow.
 */
export function evaluateStateQuery<R>(
  candidates: QueryCandidate<R>[],
  query: ParsedStateQuery,
): { rows: R[]; token?: string } {
  let hits = query.filter ? candidates.filter((c) => matches(c.value, query.filter!)) : candidates;
  if (query.sort.length) {
    hits = hits
      .map((c, i) => ({ c, i, keys: query.sort.map((s) => pathValue(c.value, s.key)) }))
      .sort((a, b) => {
        for (let k = 0; k < query.sort.length; k++) {
          const d = compareForSort(a.keys[k], b.keys[k]);
          if (d !== 0) return query.sort[k].order === 'DESC' ? -d : d;
        }
        return a.i - b.i;
      })
      .map((x) => x.c);
  }
  const start = query.offset;
  const end = query.limit ? start + query.limit : hits.length;
  const rows = hits.slice(start, end).map((c) => c.row);
  return { rows, token: query.limit && end < hits.length ? String(end) : undefined };
}

export function matches(value: unknown, f: QueryFilter): boolean {
  switch (f.op) {
    case 'AND':
      return f.filters.every((x) => matches(value, x));
    case 'OR':
      return f.filters.some((x) => matches(value, x));
    case 'IN': {
      const v = pathValue(value, f.field);
      return f.values.some((x) => equal(v, x));
    }
    case 'EQ':
      return equal(pathValue(value, f.field), f.value);
    case 'NEQ':
      return !equal(pathValue(value, f.field), f.value);
    default: {
      const c = compare(pathValue(value, f.field), f.value);
      if (c === undefined) return false;
      if (f.op === 'GT') return c > 0;
      if (f.op === 'GTE') return c >= 0;
      if (f.op === 'LT') return c < 0;
      return c <= 0;
    }
  }
}

export function pathValue(value: unknown, path: string): unknown {
  let cur = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function equal(a: unknown, b: Scalar): boolean {
  return a === b;
}

/** Numbers compare numerically and strings lexically; mixed types do not compare. */
function compare(a: unknown, b: Scalar): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function compareForSort(a: unknown, b: unknown): number {
  // Missing values sort last in ascending order.
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
