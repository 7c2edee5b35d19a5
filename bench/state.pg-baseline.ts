import { Pool } from 'pg';
import { stateV1Statements } from '../libs/dapr/src/components/postgresql/postgresql-state-sql';

/**
 * The raw-`pg` side of the PostgreSQL comparisons: its own Pool with the same
 * size and session settings as the driver's, running the identical prepared
 * statements (same SQL text), and doing the same JSON encode/decode a caller
 * of the raw client would.
 */
export async function pgStateBaseline(opts: { url: string; table: string; max: number }) {
  const pool = new Pool({ connectionString: opts.url, max: opts.max, statement_timeout: 20_000, keepAlive: true });
  pool.on('error', () => undefined);
  const sql = stateV1Statements(opts.table);
  const get = { name: `raw_${sql.get.name}`, text: sql.get.text };
  const upsert = { name: `raw_${sql.upsert.name}`, text: sql.upsert.text };
  return {
    async get(key: string): Promise<unknown> {
      const res = await pool.query<{ value: string; etag: string }>({ ...get, values: [key] });
      const row = res.rows[0];
      return row ? JSON.parse(row.value) : undefined;
    },
    async save(key: string, value: unknown): Promise<void> {
      await pool.query({ ...upsert, values: [key, JSON.stringify(value), false] });
    },
    async dropTables(tables: string[]): Promise<void> {
      for (const t of tables) if (/^[a-z0-9_]+$/.test(t)) await pool.query(`DROP TABLE IF EXISTS ${t}`);
    },
    close: () => pool.end(),
  };
}
