import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { MissingMetadataError } from '../../errors/component-config.error';
import { loadPackage } from '../../spi/kit/load-package';
import { MetadataReader } from '../../spi/kit/metadata-reader';
import type { ComponentMetadata } from '../../spi/component.spi';

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

export function parseRedisSettings(md: ComponentMetadata): RedisSettings {
  const r = new MetadataReader(md.name, md.properties);
  const hostList = r.string('redisHost');
  if (!hostList) throw new MissingMetadataError(md.name, 'redisHost');
  const defaultPort = r.int('redisPort', 6379, 1);
  const hosts = hostList
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .map((h) => splitHostPort(h, defaultPort, r));
  const failover = r.bool('failover', false);
  const sentinelMasterName = r.string('sentinelMasterName');
  if (failover && !sentinelMasterName) throw new MissingMetadataError(md.name, 'sentinelMasterName');
  return {
    hosts,
    username: r.string('redisUsername'),
    password: r.string('redisPassword'),
    db: r.int('redisDB', 0, 0),
    tls: r.bool('enableTLS', false),
    type: r.oneOf('redisType', ['node', 'cluster'] as const, 'node'),
    failover,
    sentinelMasterName,
    maxRetries: r.int('redisMaxRetries', 3, -1),
    minRetryIntervalMs: r.durationMs('redisMinRetryInterval', 8),
    maxRetryIntervalMs: r.durationMs('redisMaxRetryInterval', 512),
    dialTimeoutMs: r.durationMs('dialTimeout', 5000),
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
    tls: s.tls ? {} : undefined,
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
    client = new ioredis.Redis({ ...common, db: s.db, sentinels: s.hosts, name: s.sentinelMasterName });
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

function splitHostPort(hostPort: string, defaultPort: number, r: MetadataReader): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hostPort);
  // A bare IPv6 address has several colons and no brackets: all of it is the host.
  if (!m || (hostPort.split(':').length > 2 && !hostPort.startsWith('['))) return { host: hostPort, port: defaultPort };
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw r.error('redisHost', `"${hostPort}" is not host:port`);
  return { host: m[1], port };
}
