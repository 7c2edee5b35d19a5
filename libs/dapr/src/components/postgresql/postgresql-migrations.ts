import type { Client, ClientConfig, Pool } from 'pg';

type Pg = typeof import('pg');

/** One schema step; index + 1 is the level recorded once it has run. */
export type Migration = (db: Pool) => Promise<void>;

export interface MigrationOptions {
  pg: Pg;
  pool: Pool;
  /** Connection options for the separate session that holds the migration lock. */
  lockConnection: ClientConfig;
  metadataTableName: string;
  /** Row of the metadata table that stores the level (`migrations` for state v1). */
  metadataKey: string;
  migrations: Migration[];
  /**
   * Checks that this component's objects really exist. The level is one row per
   * metadata table, not per state table (Dapr v1 keys it `migrations` whatever
   * the `tableName`), so a second component with another table but the same
   * metadata table would otherwise find "level 3" and never create its table.
   * When it answers false the (idempotent) migrations run again.
   */
  isApplied?: (db: Pool) => Promise<boolean>;
}

const UNIQUE_VIOLATION = '23505';
/**
 * What a `CREATE TABLE IF NOT EXISTS` answers when another session creates the
 * same table at the same moment: the existence check passed before the other
 * session committed, and the catalog insert then meets its rows — on
 * pg_type's unique index (23505, which Dapr retries), or, when the other
 * session committed a moment earlier, as "type ... already exists" (42710) or
 * "relation ... already exists" (42P07), which Dapr does not retry and which
 * show up on a loaded machine. Retrying the statement is always right: it then
 * sees the table and does nothing.
 */
const CONCURRENT_CREATE = new Set([UNIQUE_VIOLATION, '42710' /* duplicate_object */, '42P07' /* duplicate_table */]);

/**
 * Dapr's PostgreSQL migration protocol (`cc:common/component/sql/migrations/postgres`),
 * so that a database migrated by a Dapr sidecar and one migrated by nest-dapr
 * are interchangeable: `<metadataTable>(key text PK, value text)` holds the
 * level under `metadataKey`; concurrent starters serialise on a `SELECT ... FOR
 * UPDATE` of the `lock` row inside a transaction that is always rolled back,
 * while the migration statements themselves run on other connections.
 */
export async function performMigrations(opts: MigrationOptions): Promise<void> {
  const { pool, metadataTableName: md } = opts;
  await ensureMetadataTable(pool, md);
  await pool.query(`INSERT INTO ${md} (key, value) VALUES ($1, 'lock') ON CONFLICT (key) DO NOTHING`, ['lock']);

  const lock: Client = new opts.pg.Client(opts.lockConnection);
  // A broken lock session must not crash the process; the awaited calls below report it.
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query('BEGIN');
    try {
      await lock.query(`SELECT value FROM ${md} WHERE key = $1 FOR UPDATE`, ['lock']);
      const res = await pool.query<{ value: string }>(`SELECT value FROM ${md} WHERE key = $1`, [opts.metadataKey]);
      const current = res.rows.length ? Number(res.rows[0].value) : 0;
      if (!Number.isInteger(current) || current < 0) {
        throw new Error(`invalid migration level found in metadata table: ${res.rows[0].value}`);
      }
      let start = current;
      if (start >= opts.migrations.length && opts.isApplied && !(await opts.isApplied(pool))) start = 0;
      for (let level = start; level < opts.migrations.length; level++) {
        try {
          await opts.migrations[level](pool);
        } catch (err) {
          throw new Error(`failed to perform migration ${level}: ${(err as Error).message}`, { cause: err });
        }
        await pool.query(
          `INSERT INTO ${md} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2`,
          // Never lower a level another component (or a newer Dapr) recorded.
          [opts.metadataKey, String(Math.max(level + 1, current))],
        );
      }
    } finally {
      await lock.query('ROLLBACK');
    }
  } finally {
    await lock.end();
  }
}

/** Creates the metadata table, outside the lock (the lock row lives in it), so racing other starters. */
async function ensureMetadataTable(pool: Pool, md: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS ${md} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
      return;
    } catch (err) {
      if (!isConcurrentCreate(err) || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

/** True for the errors of a CREATE ... IF NOT EXISTS that lost a race with another session (see CONCURRENT_CREATE). */
export function isConcurrentCreate(err: unknown): boolean {
  return CONCURRENT_CREATE.has((err as { code?: string })?.code ?? '');
}

/**
 * The `state.postgresql` v1 schema steps, in Dapr's order
 * (`cc:state/postgresql/v1/migrations.go`): 0 creates the table, 1 adds
 * `expiredate`, 2 adds the `row_id` identity used for key paging.
 */
export function stateV1Migrations(table: string): Migration[] {
  return [
    async (db) => {
      try {
        await db.query(
          `CREATE TABLE IF NOT EXISTS ${table} (
            key text NOT NULL PRIMARY KEY,
            value jsonb NOT NULL,
            isbinary boolean NOT NULL,
            insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
            updatedate TIMESTAMP WITH TIME ZONE NULL
          )`,
        );
      } catch (err) {
        // Another process won the race to create it (one that does not take the lock: an older nest-dapr).
        if (!isConcurrentCreate(err)) throw err;
      }
    },
    async (db) => {
      await db.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS expiredate TIMESTAMP WITH TIME ZONE`);
    },
    (db) => addRowId(db, table),
  ];
}

/** True when the v1 state table exists with its last migration's index. */
export function stateV1Applied(table: string): (db: Pool) => Promise<boolean> {
  return async (db) => {
    const res = await db.query<{ ok: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = to_regclass($1) AND i.indisunique AND a.attname = 'row_id'
       ) AS ok`,
      [table],
    );
    return res.rows[0]?.ok === true;
  };
}

/** `row_id BIGINT` identity, backfilled in insertion order, with the unique index `<table>_row_id_uidx`. */
async function addRowId(db: Pool, table: string): Promise<void> {
  const found = await db.query<{ nspname: string; relname: string; fqtn: string; regname: string }>(
    `SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname) AS fqtn, n.nspname || '.' || c.relname AS regname
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)`,
    [table],
  );
  if (!found.rows.length) throw new Error(`table "${table}" not found`);
  // Everything below is quoted by PostgreSQL's own format('%I'), never built from user text.
  const { nspname, relname, fqtn, regname } = found.rows[0];
  const hasCol = await db.query(
    `SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'row_id' AND NOT attisdropped`,
    [table],
  );
  if (!hasCol.rows.length) await db.query(`ALTER TABLE ${fqtn} ADD COLUMN row_id BIGINT`);
  await db.query(
    `WITH ranked AS (
       SELECT key, ROW_NUMBER() OVER (ORDER BY insertdate ASC, key ASC) AS rn FROM ${fqtn} WHERE row_id IS NULL
     )
     UPDATE ${fqtn} AS t SET row_id = r.rn FROM ranked r WHERE r.key = t.key`,
  );
  await db.query(`ALTER TABLE ${fqtn} ALTER COLUMN row_id SET NOT NULL`);
  const identity = await db.query(
    `SELECT 1 FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 AND column_name = 'row_id' AND is_identity = 'YES'`,
    [nspname, relname],
  );
  if (!identity.rows.length) await db.query(`ALTER TABLE ${fqtn} ALTER COLUMN row_id ADD GENERATED BY DEFAULT AS IDENTITY`);
  const seq = await db.query<{ seq: string | null }>(`SELECT pg_get_serial_sequence($1, 'row_id') AS seq`, [regname]);
  const seqName = seq.rows[0]?.seq;
  if (seqName) {
    await db.query(`SELECT setval($1, COALESCE((SELECT MAX(row_id) FROM ${fqtn}), 0) + 1, false)`, [seqName]);
  }
  const index = await db.query<{ q: string }>(`SELECT format('%I', $1::text) AS q`, [`${relname}_row_id_uidx`]);
  await db.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${index.rows[0].q} ON ${fqtn} (row_id)`);
}
