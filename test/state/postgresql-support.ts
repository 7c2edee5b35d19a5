import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { ComponentMetadata } from '../../libs/dapr/src/spi/component.spi';

/** The CI database: PostgreSQL on 127.0.0.1:5432, user postgres (trust), database `test`. */
export const PG_URL = process.env.DAPR_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Table names unique to one test run, so parallel runs on the shared server never meet. */
export function uniqueTables(label: string): { tableName: string; metadataTableName: string } {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  return { tableName: `st_${label}_${suffix}`, metadataTableName: `md_${label}_${suffix}` };
}

export function pgComponent(properties: Record<string, string>, name = 'pgstate'): ComponentMetadata {
  return {
    name,
    type: 'state.postgresql',
    version: 'v1',
    properties: { connectionString: PG_URL, ...properties },
    appId: 'pg-spec',
  };
}

/** A plain `pg` client for looking at (and writing) rows the way another process, or Dapr, would. */
export async function rawClient(): Promise<Client> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  return client;
}

export async function dropTables(client: Client, ...tables: string[]): Promise<void> {
  for (const t of tables) {
    if (!/^[a-z0-9_]+$/i.test(t)) throw new Error(`refusing to drop "${t}"`);
    await client.query(`DROP TABLE IF EXISTS ${t}`);
  }
}

/** Polls `check` until it returns true or the deadline passes (then fails with `what`). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
