import { ComponentConfigError } from '../../errors/component-config.error';
import type { ComponentMetadata } from '../../spi/component.spi';
import { parseConnectionString, parsePostgresStateSettings } from './postgresql-connection';

const md = (properties: Record<string, string>): ComponentMetadata => ({
  name: 'pg',
  type: 'state.postgresql',
  version: 'v1',
  properties,
  appId: 'app',
});

describe('PostgreSQL connection metadata', () => {
  it('reads libpq keyword/value strings, as in the Dapr docs', () => {
    expect(
      parseConnectionString("host=localhost user=postgres password='p w\\'d' port=5433 connect_timeout=10 database=my_dapr sslmode=disable"),
    ).toEqual({
      host: 'localhost',
      user: 'postgres',
      password: "p w'd",
      port: 5433,
      connectionTimeoutMillis: 10_000,
      database: 'my_dapr',
      ssl: false,
    });
  });

  it('reads URLs with percent-encoded credentials and sslmode', () => {
    expect(parseConnectionString('postgres://us%40er:p%2Fw@db.example:6543/state?sslmode=require&application_name=x')).toEqual({
      host: 'db.example',
      port: 6543,
      user: 'us@er',
      password: 'p/w',
      database: 'state',
      ssl: { rejectUnauthorized: false },
      application_name: 'x',
    });
    expect(() => parseConnectionString('postgres://h/db?sslmode=sometimes')).toThrow(/sslmode/);
    expect(() => parseConnectionString("host='unterminated")).toThrow(/unterminated/);
  });

  it('applies Dapr defaults and aliases', () => {
    const s = parsePostgresStateSettings(md({ connectionString: 'host=h' }));
    expect(s.tableName).toBe('state');
    expect(s.metadataTableName).toBe('dapr_metadata');
    expect(s.cleanupIntervalMs).toBe(3_600_000);
    expect(s.timeoutMs).toBe(20_000);
    expect(s.pool.statement_timeout).toBe(20_000);

    const t = parsePostgresStateSettings(
      md({ connectionString: 'host=h', tableName: 'app.orders', timeoutInSeconds: '5', cleanupIntervalInSeconds: '30', maxConns: '8' }),
    );
    expect([t.tableName, t.timeoutMs, t.cleanupIntervalMs, t.pool.max]).toEqual(['app.orders', 5000, 30_000, 8]);
    expect(parsePostgresStateSettings(md({ connectionString: 'host=h', cleanupInterval: '-1' })).cleanupIntervalMs).toBeUndefined();
    expect(parsePostgresStateSettings(md({ connectionString: 'host=h', cleanupInterval: '0' })).cleanupIntervalMs).toBeUndefined();
    expect(parsePostgresStateSettings(md({ connectionString: 'host=h', cleanupInterval: '1m30s' })).cleanupIntervalMs).toBe(90_000);
  });

  it('rejects table names that are not plain identifiers, and bad values', () => {
    for (const tableName of ['state; DROP TABLE x', 'a.b.c', '"quoted"', 'x y', '1abc', 'a'.repeat(64), "st'ate"]) {
      expect(() => parsePostgresStateSettings(md({ connectionString: 'host=h', tableName }))).toThrow(ComponentConfigError);
    }
    expect(() => parsePostgresStateSettings(md({ connectionString: 'host=h', metadataTableName: 'x--' }))).toThrow(/metadataTableName/);
    expect(() => parsePostgresStateSettings(md({}))).toThrow(/connectionString/);
    expect(() => parsePostgresStateSettings(md({ connectionString: 'host=h', timeout: '500ms' }))).toThrow(/at least 1s/);
    expect(() => parsePostgresStateSettings(md({ connectionString: 'host=h', cleanupInterval: 'soon' }))).toThrow(/duration/);
  });
});
