import { StateRequestInvalidError } from '../../errors/state.errors';
import type { ParsedStateQuery, QueryFilter, Scalar } from '../../spi/state-query.spi';

/** A compiled query: SQL text with `$n` placeholders and its parameters, in order. */
export interface CompiledStateQuery {
  text: string;
  values: unknown[];
  /** Rows the caller asked for (0 = no limit); the SQL fetches one more to know whether a next page exists. */
  limit: number;
  offset: number;
}

const SQL_OPS = { GT: '>', GTE: '>=', LT: '<', LTE: '<=' } as const;

type Bind = (v: unknown) => string;

/**
 * Translates the block's parsed state query (Dapr's query language) to SQL
 * over the v1 table's jsonb `value`, in the spirit of Dapr's
 * `postgresql_query.go` but with two deliberate differences:
 * - nothing from the query is spliced into the SQL text: field paths are bound
 *   as `text[]` (`value #> $n`), values as `jsonb`/`text` parameters, limit and
 *   offset as numbers;
 * - comparisons follow the block's reference semantics (the in-memory
 *   evaluator) instead of Dapr's `->>` text comparison, where "9" > "10":
 *   EQ/IN are JSON equality, NEQ also matches a missing field, ordering
 *   operators compare numbers numerically and strings by code point, and never
 *   match across types.
 * Expired rows that were not collected yet are excluded, as on get, and so are
 * binary values (Dapr would return their base64 JSON string).
 */
export function compileStateQuery(table: string, parsed: ParsedStateQuery, keyPrefix?: string): CompiledStateQuery {
  const values: unknown[] = [];
  const bind: Bind = (v) => {
    values.push(v);
    return `$${values.length}`;
  };

  // Opaque bytes have no fields to query; like the in-memory reference store, queries skip them.
  const where = ['NOT isbinary', '(expiredate IS NULL OR expiredate >= CURRENT_TIMESTAMP)'];
  if (keyPrefix) where.push(`starts_with(key, ${bind(keyPrefix)}::text)`);
  if (parsed.filter) where.push(compileFilter(parsed.filter, bind));

  const order: string[] = [];
  for (const s of parsed.sort) {
    const e = fieldExpr(s.key, bind);
    const dir = s.order === 'DESC' ? 'DESC' : 'ASC';
    // Missing and null values last (first when descending), then numbers by value, then the rest by code point.
    order.push(`(${e} #>> '{}') IS NULL ${dir}`);
    order.push(`CASE WHEN jsonb_typeof(${e}) = 'number' THEN ${e} END ${dir}`);
    order.push(
      `CASE WHEN jsonb_typeof(${e}) = 'string' THEN (${e} #>> '{}') ELSE ${e}::text END COLLATE "C" ${dir}`,
    );
  }
  // The key breaks ties so that offset paging never repeats or skips a row.
  order.push('key COLLATE "C" ASC');

  const limit = parsed.limit ?? 0;
  const offset = parsed.offset ?? 0;
  let text =
    `SELECT key, value::text AS value, isbinary, xmin::text AS etag FROM ${table}` +
    ` WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')}`;
  if (limit > 0) text += ` LIMIT ${bind(limit + 1)}::bigint`;
  if (offset > 0) text += ` OFFSET ${bind(offset)}::bigint`;
  return { text, values, limit, offset };
}

function compileFilter(f: QueryFilter, bind: Bind): string {
  switch (f.op) {
    case 'AND':
    case 'OR':
      return `(${f.filters.map((x) => compileFilter(x, bind)).join(` ${f.op} `)})`;
    case 'IN': {
      const e = fieldExpr(f.field, bind);
      return `(${e} IN (${f.values.map((v) => jsonParam(v, bind)).join(', ')}))`;
    }
    case 'EQ':
      return `(${fieldExpr(f.field, bind)} = ${jsonParam(f.value, bind)})`;
    case 'NEQ':
      return `(${fieldExpr(f.field, bind)} IS DISTINCT FROM ${jsonParam(f.value, bind)})`;
    default:
      return ordered(f.op, f.field, f.value, bind);
  }
}

function ordered(op: keyof typeof SQL_OPS, field: string, value: Scalar, bind: Bind): string {
  const sqlOp = SQL_OPS[op];
  const e = fieldExpr(field, bind);
  // Two jsonb numbers compare numerically; no cast that could fail on another type.
  if (typeof value === 'number') return `(jsonb_typeof(${e}) = 'number' AND ${e} ${sqlOp} ${jsonParam(value, bind)})`;
  if (typeof value === 'string') {
    return `(jsonb_typeof(${e}) = 'string' AND (${e} #>> '{}') COLLATE "C" ${sqlOp} ${bind(value)}::text COLLATE "C")`;
  }
  // Booleans and null have no order.
  return 'FALSE';
}

/** `a.b.c` → `(value #> $n::text[])` with `{a,b,c}` bound; the path never enters the SQL text. */
function fieldExpr(path: string, bind: Bind): string {
  const parts = path.split('.');
  if (parts.some((p) => p === '')) throw new StateRequestInvalidError(`query field "${path}" is not a valid dotted path`);
  return `(value #> ${bind(parts)}::text[])`;
}

function jsonParam(value: Scalar, bind: Bind): string {
  return `${bind(JSON.stringify(value))}::jsonb`;
}
