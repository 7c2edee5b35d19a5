import { defineMetadata } from '../../spi/kit/metadata';

export const SQLITE_STATE_METADATA = defineMetadata({
  type: 'state.sqlite',
  title: 'SQLite',
  summary: "Dapr's `state` and `metadata` tables (base64 bytes with `is_binary`, UUID ETags, `expiration_time`), one file shared by the processes of a machine.",
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    connectionString: { type: 'string', required: true, description: 'File path or `file:` URI (`:memory:` for a private in-memory database).' },
    tableName: { type: 'string', default: 'state', description: 'State table.' },
    metadataTableName: { type: 'string', default: 'metadata', description: 'Metadata table (migration level, last cleanup).' },
    busyTimeout: { type: 'duration', default: '2s', description: 'How long a locked database is waited for.' },
    timeout: { type: 'duration', default: '20s', support: 'unsupported', note: 'better-sqlite3 calls are synchronous; only busyTimeout bounds them', description: 'Timeout of database operations.' },
    disableWAL: { type: 'bool', default: false, description: 'Do not switch the database to WAL journaling.' },
    cleanupInterval: {
      type: 'duration',
      default: '1h',
      support: 'differs',
      note: 'Dapr disables the cleanup by default (0); nest-dapr deletes expired rows hourly by default so files do not grow without bound (set 0 to disable)',
      description: 'Interval of the expired-row cleanup (0 disables).',
    },
  },
});

export const SQLITE_PUBSUB_METADATA = defineMetadata({
  type: 'pubsub.sqlite',
  title: 'SQLite queue',
  summary: 'A durable queue in one SQLite file shared by the processes of one machine: fan-out per consumer group, leases, redelivery, retention.',
  dialect: 'metadata',
  origin: 'nest-dapr',
  fields: {
    connectionString: { type: 'string', aliases: ['path'], default: '.dapr/pubsub.db', description: 'Database file (`file:` URI accepted).' },
    tablePrefix: { type: 'string', default: 'pubsub_', description: 'Prefix of the queue tables.' },
    pollInterval: { type: 'duration', unit: 'ms', default: '50ms', description: 'How often idle subscribers look for new messages.' },
    visibilityTimeout: { type: 'duration', unit: 'ms', default: '30s', description: 'How long a taken message stays leased before another consumer may take it.' },
    redeliverInterval: { type: 'duration', unit: 'ms', default: '1s', description: 'Delay before a message the handler asked to RETRY is offered again.' },
    concurrency: { type: 'int', default: 32, min: 1, description: 'Handlers running at once per subscription.' },
    retentionPeriod: { type: 'duration', unit: 'ms', default: '24h', description: 'How long messages every group has settled are kept.' },
    busyTimeout: { type: 'duration', unit: 'ms', default: '5s', description: 'How long a locked database is waited for.' },
    initialOffset: { type: 'enum', values: ['oldest', 'newest'], default: 'oldest', description: 'Where a new consumer group starts.' },
  },
});

/** Where the default resolver (and one configured without connectionString) keeps its file. */
export const DEFAULT_NAME_RESOLUTION_DB = '.dapr/nameresolution.db';

/** components-contrib `nameresolution/sqlite/sqlite_metadata.go` (plus `common/authentication/sqlite`), decoded with kitmd.DecodeMetadata. */
export const SQLITE_NAME_RESOLVER_METADATA = defineMetadata({
  type: 'nameresolution.sqlite',
  title: 'SQLite name resolution',
  summary: "Dapr's local resolver design: each app registers its address in a shared SQLite file with a heartbeat. Configured from the Configuration's `nameResolution.configuration`.",
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    connectionString: {
      type: 'string',
      aliases: ['url'],
      default: DEFAULT_NAME_RESOLUTION_DB,
      support: 'differs',
      note: `Dapr requires it; nest-dapr defaults to ${DEFAULT_NAME_RESOLUTION_DB}, the file of the default resolver`,
      description: 'Database file (a path or a file: URI).',
    },
    tableName: { type: 'string', default: 'hosts', description: 'Registration table.' },
    metadataTableName: { type: 'string', default: 'metadata', description: "Table holding the schema version (key nr-migrations), as Dapr's migrations keep it." },
    timeout: { type: 'duration', aliases: ['timeoutInSeconds'], default: '1s', description: 'Timeout of database operations (at least 1s).' },
    updateInterval: { type: 'duration', default: '5s', description: "Heartbeat interval of this app's registration (whole seconds)." },
    cleanupInterval: { type: 'duration', aliases: ['cleanupIntervalInSeconds'], default: '1h', description: 'Interval of the stale-registration cleanup.' },
    busyTimeout: { type: 'duration', default: '800ms', description: 'How long a locked database is waited for.' },
    disableWAL: { type: 'bool', default: false, description: 'Do not switch the database to WAL journaling (network file systems).' },
  },
});

export const SQLITE_LOCK_METADATA = defineMetadata({
  type: 'lock.sqlite',
  title: 'SQLite (distributed lock)',
  summary: 'Locks in one SQLite file shared by the processes of one machine: one row per held lock (owner, expiry), taken and released in single atomic statements.',
  dialect: 'metadata',
  origin: 'nest-dapr',
  fields: {
    connectionString: { type: 'string', aliases: ['path'], default: '.dapr/lock.db', description: 'Database file (`file:` URI accepted).' },
    tableName: { type: 'string', default: 'locks', description: 'Lock table.' },
    busyTimeout: { type: 'duration', default: '5s', description: 'How long a locked database is waited for.' },
    disableWAL: { type: 'bool', default: false, description: 'Do not switch the database to WAL journaling.' },
    cleanupInterval: { type: 'duration', default: '1h', description: 'Interval of the expired-lock cleanup (0 disables; expired locks are free at once anyway).' },
  },
});
