import { defineMetadata, type MetadataFields } from '../../spi/kit/metadata';

const NO_POOL = 'ioredis multiplexes one connection per client; there is no pool to size or age';
const NO_OIDC = 'token-based Redis AUTH (Entra ID / OIDC) is not implemented';

/**
 * Connection fields of every Redis component (components-contrib
 * `common/component/redis/settings.go`, decoded with kit/config: strict
 * booleans, plain integers, bare numbers for durations are milliseconds).
 */
export const REDIS_CONNECTION_FIELDS = {
  redisHost: { type: 'string', required: true, description: 'host:port, or a comma-separated list for cluster / Sentinel.' },
  redisPort: { type: 'int', bits: 16, unsigned: true, description: 'Port used when redisHost has none (default 6379).' },
  redisUsername: { type: 'string', description: 'ACL user name (Redis 6+).' },
  redisPassword: { type: 'string', sensitive: true, description: 'Password.' },
  redisDB: { type: 'int', default: 0, min: 0, description: 'Database selected after connecting (ignored in cluster mode).' },
  redisType: { type: 'enum', values: ['node', 'cluster'], default: 'node', description: 'Single node or Redis Cluster.' },
  enableTLS: { type: 'bool', default: false, description: 'Connect over TLS.' },
  insecureSkipTLSVerify: { type: 'bool', default: false, description: 'Skip TLS certificate verification (testing only).' },
  clientCert: { type: 'string', description: 'PEM client certificate for TLS.' },
  clientKey: { type: 'string', sensitive: true, description: 'PEM client key for TLS.' },
  failover: { type: 'bool', default: false, description: 'Connect through Redis Sentinel (needs sentinelMasterName).' },
  sentinelMasterName: { type: 'string', description: 'Sentinel master name.' },
  sentinelUsername: { type: 'string', description: 'User name for the Sentinels.' },
  sentinelPassword: { type: 'string', sensitive: true, description: 'Password for the Sentinels.' },
  redisMaxRetries: { type: 'int', default: 3, min: -1, aliases: ['maxRetries'], description: 'How often a command waits through a reconnect before failing (-1: never).' },
  redisMinRetryInterval: { type: 'duration', default: '8ms', description: 'Smallest reconnect back-off.' },
  redisMaxRetryInterval: { type: 'duration', default: '512ms', description: 'Largest reconnect back-off.' },
  dialTimeout: { type: 'duration', default: '5s', description: 'Connect timeout.' },
  readTimeout: { type: 'duration', default: '3s', description: 'Pub/sub: how long one XREADGROUP blocks.' },
  writeTimeout: { type: 'duration', support: 'unsupported', note: 'ioredis has no per-write timeout', description: 'Socket write timeout.' },
  poolSize: { type: 'int', support: 'unsupported', note: NO_POOL, description: 'Connection pool size.' },
  minIdleConns: { type: 'int', support: 'unsupported', note: NO_POOL, description: 'Idle connections kept open.' },
  poolTimeout: { type: 'duration', support: 'unsupported', note: NO_POOL, description: 'Wait for a pooled connection.' },
  maxConnAge: { type: 'duration', support: 'unsupported', note: NO_POOL, description: 'Connection age before it is recycled.' },
  idleTimeout: { type: 'duration', support: 'unsupported', note: NO_POOL, description: 'Idle connection timeout.' },
  idleCheckFrequency: { type: 'duration', support: 'unsupported', note: NO_POOL, description: 'Idle connection reaper interval.' },
  useEntraID: { type: 'bool', aliases: ['useAzureAD'], support: 'unsupported', note: NO_OIDC, description: 'Microsoft Entra ID authentication.' },
  useOIDC: { type: 'bool', support: 'unsupported', note: NO_OIDC, description: 'OIDC private_key_jwt authentication.' },
  oidcTokenEndpoint: { type: 'string', support: 'unsupported', note: NO_OIDC, description: 'OIDC token endpoint.' },
  oidcClientID: { type: 'string', support: 'unsupported', note: NO_OIDC, description: 'OIDC client id.' },
  oidcClientAssertionCert: { type: 'string', support: 'unsupported', note: NO_OIDC, description: 'OIDC client assertion certificate.' },
  oidcClientAssertionKey: { type: 'string', sensitive: true, support: 'unsupported', note: NO_OIDC, description: 'OIDC client assertion key.' },
  oidcResource: { type: 'string', support: 'unsupported', note: NO_OIDC, description: 'OIDC resource.' },
  oidcAudience: { type: 'string', support: 'unsupported', note: NO_OIDC, description: 'OIDC audience.' },
  oidcScopes: { type: 'string', support: 'unsupported', note: NO_OIDC, description: 'OIDC scopes.' },
  oidcKid: { type: 'string', support: 'unsupported', note: NO_OIDC, description: 'OIDC key id.' },
  oidcCACert: { type: 'string', support: 'unsupported', note: NO_OIDC, description: 'CA of the OIDC token endpoint.' },
} as const satisfies MetadataFields;

export const REDIS_STATE_METADATA = defineMetadata({
  type: 'state.redis',
  title: 'Redis',
  summary: "Dapr's storage layout: one hash per key (`data`, `version`, `first-write`), Dapr's Lua scripts, EXPIRE/PERSIST for TTL.",
  dialect: 'config',
  origin: 'dapr',
  fields: {
    ...REDIS_CONNECTION_FIELDS,
    ttlInSeconds: { type: 'int', description: 'Default TTL (seconds) of every save without its own ttlInSeconds; -1 = none.', unit: 's' },
    queryIndexes: {
      type: 'json',
      support: 'unsupported',
      note: "the query API on Redis needs RedisJSON and RediSearch (Redis Stack) and Dapr's JSON mode; no Redis Stack package is available where nest-dapr is built and tested (Debian has only RediSearch 1.2, no RedisJSON), so neither is implemented: setting it stops start-up naming the missing modules, and reading a key a Dapr app wrote in JSON mode raises RedisJsonModeError instead of WRONGTYPE",
      description: 'RediSearch index schemas for the query API.',
    },
  },
});

export const REDIS_PUBSUB_METADATA = defineMetadata({
  type: 'pubsub.redis',
  title: 'Redis Streams',
  summary: 'XADD `data` + `metadata` fields, one consumer group per consumerID, redelivery of pending entries with XPENDING + XCLAIM.',
  dialect: 'config',
  origin: 'dapr',
  fields: {
    ...REDIS_CONNECTION_FIELDS,
    consumerID: { type: 'string', description: 'Consumer group and consumer name (default: the app id).' },
    queueDepth: { type: 'int', unsigned: true, default: 100, min: 1, description: 'Entries read ahead per subscription.' },
    concurrency: { type: 'int', unsigned: true, default: 10, min: 1, description: 'Handlers running at once per subscription.' },
    processingTimeout: { type: 'duration', unit: 'ms', default: '60s', description: 'How long an entry stays pending before it is claimed again (0 disables redelivery).' },
    redeliverInterval: {
      type: 'duration',
      unit: 'ms',
      default: '15s',
      support: 'differs',
      note: 'Dapr reads only a whole number of milliseconds here (a Go duration such as 5s is silently ignored there); nest-dapr reads both',
      description: 'How often pending entries are checked (0 disables redelivery).',
    },
    maxLenApprox: { type: 'int', default: 0, min: 0, description: 'MAXLEN ~ on every XADD (0: unbounded).' },
    streamTTL: { type: 'duration', default: '0', description: 'MINID ~ on every XADD: drop entries older than this.' },
  },
  subscriptionFields: {},
});

export const REDIS_BINDING_METADATA = defineMetadata({
  type: 'bindings.redis',
  title: 'Redis (output binding)',
  summary: '`create` = SET, `get` = GET (GETDEL with `delete`), `delete` = DEL, `increment` = INCR, on raw keys.',
  dialect: 'config',
  origin: 'dapr',
  fields: REDIS_CONNECTION_FIELDS,
});

const LOCK_IGNORES = "read into Dapr's shared Redis settings, but its lock store never uses it";

export const REDIS_LOCK_METADATA = defineMetadata({
  type: 'lock.redis',
  title: 'Redis (distributed lock)',
  summary: "Dapr's standalone Redis lock: `SET <key> <owner> NX EX <expiry>` to lock, an owner-checked Lua script to unlock, keys `lock||<appId>||<resourceId>`. No Redis Cluster, no replicas without Sentinel.",
  dialect: 'config',
  origin: 'dapr',
  fields: {
    ...REDIS_CONNECTION_FIELDS,
    redisType: { type: 'enum', values: ['node', 'cluster'], default: 'node', description: 'node; cluster is refused at start-up, as Dapr refuses it (a held lock could be lost when its slot moves).' },
    maxRetryBackoff: { type: 'duration', support: 'unsupported', note: LOCK_IGNORES, description: 'Maximum backoff between retries.' },
    redeliverInterval: { type: 'duration', support: 'unsupported', note: LOCK_IGNORES, description: 'Redeliver interval.' },
    processingTimeout: { type: 'duration', support: 'unsupported', note: LOCK_IGNORES, description: 'Processing timeout.' },
  },
});

export const REDIS_CONFIGURATION_METADATA = defineMetadata({
  type: 'configuration.redis',
  title: 'Redis (configuration)',
  summary: "Dapr's layout: a string key holds `value||version`; get with MGET (KEYS * for all), subscribe through keyspace notifications `__keyspace@<db>__:<key>` (notify-keyspace-events gets `Kg$xe`), re-read after a reconnect.",
  dialect: 'config',
  origin: 'dapr',
  fields: {
    ...REDIS_CONNECTION_FIELDS,
    redisMaxRetryInterval: { ...REDIS_CONNECTION_FIELDS.redisMaxRetryInterval, default: '2s', description: 'Largest reconnect back-off (the configuration store\'s default is 2s).' },
  },
});
