import { defineMetadata, type MetadataFields } from '../../spi/kit/metadata';

const NOT_SEPARATE = 'only read from connectionString (host, port, dbname, user, password keywords or the URL parts)';
const NO_CLOUD_AUTH = 'Entra ID / AWS IAM token authentication is not implemented; use a password';

/** components-contrib `common/authentication/postgresql` + `common/component/postgresql/v1/metadata.go`. */
const CONNECTION_FIELDS = {
  connectionString: { type: 'string', required: true, sensitive: true, aliases: ['url'], description: 'libpq key=value string or postgres:// URL (alias url, the binding\'s old name).' },
  host: { type: 'string', support: 'unsupported', note: NOT_SEPARATE, description: 'Host, when not given in connectionString.' },
  hostaddr: { type: 'string', support: 'unsupported', note: 'node-postgres has no hostaddr; use host', description: 'Numeric host address.' },
  port: { type: 'string', support: 'unsupported', note: NOT_SEPARATE, description: 'Port, when not given in connectionString.' },
  database: { type: 'string', support: 'unsupported', note: NOT_SEPARATE, description: 'Database, when not given in connectionString.' },
  user: { type: 'string', support: 'unsupported', note: NOT_SEPARATE, description: 'User, when not given in connectionString.' },
  password: { type: 'string', sensitive: true, support: 'unsupported', note: NOT_SEPARATE, description: 'Password, when not given in connectionString.' },
  sslRootCert: { type: 'string', support: 'unsupported', note: 'pass sslrootcert inside connectionString', description: 'CA certificate (PEM path) for sslmode verify-*.' },
  maxConns: { type: 'int', default: 0, min: 0, description: 'Pool size (0: the default of 10).' },
  connectionMaxIdleTime: { type: 'duration', description: 'Close pooled connections idle this long.' },
  queryExecMode: { type: 'string', support: 'unsupported', note: 'a pgx setting; node-postgres always uses the extended protocol with unnamed statements', description: 'pgx query execution mode.' },
  useAzureAD: { type: 'bool', support: 'unsupported', note: NO_CLOUD_AUTH, description: 'Entra ID authentication.' },
  useAWSIAM: { type: 'bool', support: 'unsupported', note: NO_CLOUD_AUTH, description: 'AWS IAM authentication.' },
} as const satisfies MetadataFields;

export const POSTGRESQL_STATE_METADATA = defineMetadata({
  type: 'state.postgresql',
  versions: ['v1'],
  title: 'PostgreSQL (v1)',
  summary: "Dapr's v1 tables: jsonb `value`, `isbinary` (base64 bytes), `xmin` ETags, `expiredate`, the metadata table and its migrations, the query API.",
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    ...CONNECTION_FIELDS,
    tableName: { type: 'string', default: 'state', description: 'State table (may be schema.table).' },
    metadataTableName: { type: 'string', default: 'dapr_metadata', description: 'Metadata table (migration level, last cleanup).' },
    timeout: { type: 'duration', default: '20s', aliases: ['timeoutInSeconds'], description: 'Timeout of database operations (at least 1s).' },
    cleanupInterval: { type: 'duration', default: '1h', aliases: ['cleanupIntervalInSeconds'], description: 'Interval of the expired-row cleanup (≤ 0 disables).' },
  },
});

export const POSTGRESQL_BINDING_METADATA = defineMetadata({
  type: 'bindings.postgresql',
  title: 'PostgreSQL (output binding)',
  summary: '`exec`, `query` and `close` with SQL and JSON-array params.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    ...CONNECTION_FIELDS,
    timeout: { type: 'duration', default: '20s', aliases: ['timeoutInSeconds'], description: 'Timeout of database operations (at least 1s).' },
    connectionTimeout: { type: 'duration', default: '5s', support: 'extension', description: 'Connect timeout.' },
  },
});

export const POSTGRESQL_CONFIGURATION_METADATA = defineMetadata({
  type: 'configuration.postgresql',
  title: 'PostgreSQL (configuration)',
  summary: "Dapr's table (`KEY`, `VALUE`, `VERSION`, `METADATA` json; the highest numeric version wins per key) and LISTEN on the channel the documented `pg_notify` trigger writes to; re-listens and re-reads after a reconnect.",
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    ...CONNECTION_FIELDS,
    table: { type: 'string', required: true, description: 'Configuration table (lower case letters, digits, `.`, `/`, `_`; at most 64 characters).' },
    notifyChannel: {
      type: 'string',
      aliases: ['pgNotifyChannel'],
      description: 'Channel of the trigger\'s `pg_notify`; without it each subscribe request names it in its `pgNotifyChannel` metadata.',
    },
    timeout: { type: 'duration', default: '20s', aliases: ['timeoutInSeconds'], description: 'Timeout of database operations (at least 1s).' },
    connMaxIdleTime: { type: 'duration', deprecated: 'connectionMaxIdleTime', description: 'Deprecated alias of connectionMaxIdleTime.' },
  },
});
