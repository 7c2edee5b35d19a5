import { dropTables, PG_URL, rawClient, uniqueTables } from './postgresql-support';
import { describeStateConformance } from './state-conformance';

/** Dapr's state conformance scenarios over `state.postgresql` on the real server, in tables of its own. */
const tables = uniqueTables('conf');

describeStateConformance(
  'state.postgresql',
  () => ({
    name: 'statestore',
    type: 'state.postgresql',
    metadata: { connectionString: PG_URL, ...tables, cleanupInterval: '1s' },
  }),
  // Dapr's conformance config for PostgreSQL v1 uses "1" as the never-matching ETag.
  { badEtag: '1', invalidEtag: 'not-an-xmin', atomicTransactions: true, query: true, ttlExpireTime: true },
);

afterAll(async () => {
  const raw = await rawClient();
  try {
    await dropTables(raw, tables.tableName, tables.metadataTableName);
  } finally {
    await raw.end();
  }
});
