import { StateRequestInvalidError } from '../../errors/state.errors';
import type { ComparisonOp, ParsedStateQuery, QueryFilter, QuerySort, Scalar } from '../../spi/state-query.spi';

// The parsed tree is part of the driver SPI; re-exported for the block's callers.
export type { ComparisonOp, ParsedStateQuery, QueryFilter, QuerySort, Scalar };

const COMPARISONS = new Set(['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE']);

/**
 * Parses a query in Dapr's state query language (see `spi/state-query.spi.ts`)
 * once, in the block; drivers translate or evaluate the tree.
 */
export function parseStateQuery(query: {
  filter?: object;
  sort?: { key: string; order?: string }[];
  page?: { limit: number; token?: string };
}): ParsedStateQuery {
  if (!query || typeof query !== 'object') throw new StateRequestInvalidError('query must be an object');
  const filter =
    query.filter && Object.keys(query.filter).length ? parseFilter(query.filter as Record<string, unknown>) : undefined;
  const sort = (query.sort ?? []).map((s) => {
    if (!s || typeof s.key !== 'string' || !s.key) throw new StateRequestInvalidError('query sort entries need a "key"');
    const order = (s.order ?? 'ASC').toUpperCase();
    if (order !== 'ASC' && order !== 'DESC') {
      throw new StateRequestInvalidError(`query sort order "${s.order}" is not ASC or DESC`);
    }
    return { key: s.key, order } as QuerySort;
  });
  let limit: number | undefined;
  let offset = 0;
  if (query.page) {
    if (query.page.limit !== undefined && query.page.limit !== 0) {
      if (!Number.isInteger(query.page.limit) || query.page.limit < 0) {
        throw new StateRequestInvalidError(`query page limit must be a positive integer, got ${query.page.limit}`);
      }
      limit = query.page.limit;
    }
    if (query.page.token) {
      if (!/^\d+$/.test(query.page.token)) throw new StateRequestInvalidError(`invalid query page token "${query.page.token}"`);
      offset = Number(query.page.token);
    }
  }
  return { filter, sort, limit, offset };
}

function parseFilter(node: Record<string, unknown>): QueryFilter {
  if (!node || typeof node !== 'object' || Array.isArray(node)) {
    throw new StateRequestInvalidError('query filter must be an object');
  }
  const ops = Object.keys(node);
  if (ops.length !== 1) {
    throw new StateRequestInvalidError(`query filter must have exactly one operation, got ${ops.join(', ') || 'none'}`);
  }
  const op = ops[0].toUpperCase();
  const arg = node[ops[0]];
  if (op === 'AND' || op === 'OR') {
    if (!Array.isArray(arg) || arg.length < 2) {
      throw new StateRequestInvalidError(`query filter ${op} needs an array of at least two filters`);
    }
    return { op, filters: arg.map((f) => parseFilter(f as Record<string, unknown>)) };
  }
  if (!arg || typeof arg !== 'object' || Array.isArray(arg) || Object.keys(arg).length !== 1) {
    throw new StateRequestInvalidError(`query filter ${op} needs exactly one { field: value }`);
  }
  const [field, value] = Object.entries(arg as Record<string, unknown>)[0];
  if (op === 'IN') {
    if (!Array.isArray(value) || value.length === 0) {
      throw new StateRequestInvalidError(`query filter IN on "${field}" needs a non-empty array`);
    }
    return { op, field, values: value.map((v) => scalar(op, field, v)) };
  }
  if (!COMPARISONS.has(op)) throw new StateRequestInvalidError(`unknown query filter operation "${ops[0]}"`);
  return { op: op as ComparisonOp, field, value: scalar(op, field, value) };
}

function scalar(op: string, field: string, v: unknown): Scalar {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw new StateRequestInvalidError(`query filter ${op} on "${field}" needs a scalar value`);
}
