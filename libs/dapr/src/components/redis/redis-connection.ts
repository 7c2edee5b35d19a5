import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { MissingMetadataError } from '../../errors/component-config.error';
import { loadPackage } from '../../spi/kit/load-package';
import { decodeMetadata, metadataError, type MetadataOrigin } from '../../spi/kit/metadata';
import type { ComponentMetadata } from '../../spi/component.spi';
import { REDIS_CONNECTION_FIELDS } from './redis.metadata';

type IoRedis = typeof import('ioredis');

/** A Redis client of either shape; both speak the same command API. */
export type RedisClient = Redis | Cluster;

/**
 * Connection settings shared by every Redis component (state, pub/sub), read
 * from Dapr's metadata names (`components-contrib/common/component/redis/settings.go`).
 */
export interface RedisSettings {
  hosts: { host: string; port: number }[];
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
  /** TLS options beyond on/off: skip verification, client certificate. */
  tlsOptions?: { rejectUnauthorized?: boolean; cert?: string; key?: string };
  sentinelUsername?: string;
  sentinelPassword?: string;
  type: 'node' | 'cluster';
  failover: boolean;
  sentinelMasterName?: string;
  /** `redisMaxRetries` (default 3): how often a command waits through a reconnect before failing. */
  maxRetries: number;
  minRetryIntervalMs: number;
  maxRetryIntervalMs: number;
  dialTimeoutMs: number;
  /** Client name shown by `CLIENT LIST`, so operators (and tests) can find the connection. */
  connectionName: string;
}

const CONNECTION_SCHEMA = {
  type: 'redis',
  title: 'Redis connection',
  summary: '',
  dialect: 'config',
  origin: 'dapr',
  fields: REDIS_CONNECTION_FIELDS,
} as const;

export function parseRedisSettings(md: ComponentMetadata): RedisSettings {
  const m = decodeMetadata(CONNECTION_SCHEMA, md);
  const defaultPort = m.redisPort ?? 6379;
  const hosts = m.redisHost
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .map((h) => splitHostPort(h, defaultPort, md));
  if (m.failover && !m.sentinelMasterName) throw new MissingMetadataError(md.name, 'sentinelMasterName', md.source);
  const tlsOptions =
    m.insecureSkipTLSVerify || m.clientCert
      ? { rejectUnauthorized: m.insecureSkipTLSVerify ? false : undefined, cert: m.clientCert, key: m.clientKey }
      : undefined;
  return {
    hosts,
    username: m.redisUsername || undefined,
    password: m.redisPassword || undefined,
    db: m.redisDB,
    tls: m.enableTLS,
    tlsOptions,
    type: m.redisType,
    failover: m.failover,
    sentinelMasterName: m.sentinelMasterName,
    sentinelUsername: m.sentinelUsername || undefined,
    sentinelPassword: m.sentinelPassword || undefined,
    maxRetries: m.redisMaxRetries,
    minRetryIntervalMs: m.redisMinRetryInterval,
    maxRetryIntervalMs: m.redisMaxRetryInterval,
    dialTimeoutMs: m.dialTimeout,
    connectionName: `nest-dapr.${md.appId}.${md.name}`.replace(/[^A-Za-z0-9._:-]/g, '_'),
  };
}

/**
 * Opens (and waits for) a client: a single node, a Sentinel-managed master
 * (`failover`), or a Cluster (`redisType: cluster`). ioredis reconnects on its
 * own with an exponential backoff between the min and max retry intervals.
 */
export async function connectRedis(componentType: string, s: RedisSettings): Promise<RedisClient> {
  const ioredis = await loadPackage<IoRedis>(componentType, 'ioredis');
  const retryStrategy = (attempt: number) => Math.min(s.maxRetryIntervalMs, s.minRetryIntervalMs * 2 ** Math.min(attempt, 16));
  const common: RedisOptions = {
    username: s.username,
    password: s.password,
    tls: s.tls ? { ...s.tlsOptions } : undefined,
    connectTimeout: s.dialTimeoutMs,
    connectionName: s.connectionName,
    lazyConnect: true,
    retryStrategy,
    // Dapr's redisMaxRetries -1 means "no retries"; ioredis' null would mean "forever".
    maxRetriesPerRequest: s.maxRetries < 0 ? 0 : s.maxRetries,
  };
  let client: RedisClient;
  if (s.type === 'cluster') {
    const options: ClusterOptions = { redisOptions: common, lazyConnect: true, clusterRetryStrategy: retryStrategy };
    client = new ioredis.Cluster(s.hosts, options);
  } else if (s.failover) {
    client = new ioredis.Redis({
      ...common,
      db: s.db,
      sentinels: s.hosts,
      name: s.sentinelMasterName,
      sentinelUsername: s.sentinelUsername,
      sentinelPassword: s.sentinelPassword,
    });
  } else {
    client = new ioredis.Redis({ ...common, db: s.db, host: s.hosts[0].host, port: s.hosts[0].port });
  }
  // Errors surface on the calls that hit them; the event would only be noise (and may name the host).
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw err;
  }
  return client;
}

/** QUIT on a live connection; otherwise stop ioredis' reconnect loop outright. */
export async function closeRedis(client: RedisClient | undefined): Promise<void> {
  if (!client) return;
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}

function splitHostPort(hostPort: string, defaultPort: number, md: MetadataOrigin): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hostPort);
  // A bare IPv6 address has several colons and no brackets: all of it is the host.
  if (!m || (hostPort.split(':').length > 2 && !hostPort.startsWith('['))) return { host: hostPort, port: defaultPort };
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw metadataError(md, 'redisHost', `"${hostPort}" is not host:port`);
  return { host: m[1], port };
}
