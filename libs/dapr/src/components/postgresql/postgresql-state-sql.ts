import { createHash } from 'node:crypto';

/** A named statement: `pg` prepares it once per pooled connection, then only binds and executes. */
export interface PreparedStatement {
  name: string;
  text: string;
}

export type StateStatementName =
  | 'get'
  | 'bulkGet'
  | 'upsert'
  | 'upsertTtl'
  | 'insertFirst'
  | 'insertFirstTtl'
  | 'update'
  | 'updateTtl'
  | 'delete'
  | 'deleteEtag'
  | 'keysLike';

export type StateStatements = Record<StateStatementName, PreparedStatement>;

/**
 * The SQL of `state.postgresql` v1, Dapr's queries (`cc:state/postgresql/v1/postgresql.go`,
 * `cc:common/component/postgresql/v1/postgresql.go`) with every value bound:
 * parameters are `$1` key, `$2` value (JSON text), `$3` isbinary, then the ETag
 * (`xmin`) and the TTL in seconds where the statement has them. `table` is a
 * validated identifier. The benchmark runs the same text on a raw `pg` pool.
 */
export function stateV1Statements(table: string): StateStatements {
  const live = '(expiredate IS NULL OR expiredate >= CURRENT_TIMESTAMP)';
  const expireIn = (n: number) => `CURRENT_TIMESTAMP + make_interval(secs => $${n})`;
  const upsert = (exp: string, firstWrite: boolean) =>
    `INSERT INTO ${table} AS t (key, value, isbinary, expiredate) VALUES ($1, $2, $3, ${exp})
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, isbinary = excluded.isbinary,
       updatedate = CURRENT_TIMESTAMP, expiredate = excluded.expiredate` +
    // first-write may only replace a row that expired but was not collected yet.
    (firstWrite ? ' WHERE (t.expiredate IS NOT NULL AND t.expiredate < CURRENT_TIMESTAMP)' : '');
  const update = (exp: string) =>
    `UPDATE ${table} SET value = $2, isbinary = $3, updatedate = CURRENT_TIMESTAMP, expiredate = ${exp}
     WHERE key = $1 AND xmin = $4::xid AND (expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP)`;
  const select = 'SELECT key, value::text AS value, isbinary, xmin::text AS etag, expiredate';
  const text: Record<StateStatementName, string> = {
    get: `${select} FROM ${table} WHERE key = $1 AND ${live}`,
    bulkGet: `${select} FROM ${table} WHERE key = ANY($1::text[]) AND ${live}`,
    upsert: upsert('NULL', false),
    upsertTtl: upsert(expireIn(4), false),
    insertFirst: upsert('NULL', true),
    insertFirstTtl: upsert(expireIn(4), true),
    update: update('NULL'),
    updateTtl: update(expireIn(5)),
    delete: `DELETE FROM ${table} WHERE key = $1`,
    deleteEtag: `DELETE FROM ${table} WHERE key = $1 AND xmin = $2::xid`,
    keysLike:
      `SELECT key, row_id::text AS row_id FROM ${table} WHERE key LIKE $1 ESCAPE '\\' AND row_id > $2::bigint AND ${live}` +
      ' ORDER BY row_id LIMIT $3::bigint',
  };
  // A short digest of the table keeps names unique per table and under PostgreSQL's 63-byte limit.
  const tag = createHash('sha1').update(table.toLowerCase()).digest('hex').slice(0, 12);
  const out = {} as StateStatements;
  for (const name of Object.keys(text) as StateStatementName[]) {
    out[name] = { name: `dapr_state_${name}_${tag}`, text: text[name] };
  }
  return out;
}
