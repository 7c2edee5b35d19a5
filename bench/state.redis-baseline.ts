import { createHash } from 'node:crypto';
import Redis from 'ioredis';

/**
 * The set script `state.redis` runs: Dapr's `setDefaultQuery` plus the
 * driver's binary marker (ARGV[4]) and TTL (ARGV[5]). Kept textually equal to
 * the driver's; `sameScriptAsDriver()` proves it against Redis' script cache.
 */
const SET_SCRIPT = `
local etag = redis.pcall("HGET", KEYS[1], "version");
if type(etag) == "table" then redis.call("DEL", KEYS[1]); end;
local fwr = redis.pcall("HGET", KEYS[1], "first-write");
if type(fwr) == "table" then fwr = false; end;
if not etag or type(etag) == "table" or etag == "" or etag == ARGV[1] or (not fwr and ARGV[1] == "0") then
  redis.call("HSET", KEYS[1], "data", ARGV[2]);
  if ARGV[3] == "0" then redis.call("HSET", KEYS[1], "first-write", 0); end;
  local version = redis.call("HINCRBY", KEYS[1], "version", 1);
  if ARGV[4] == "1" then redis.call("HSET", KEYS[1], "nest-dapr-binary", version);
  else redis.call("HDEL", KEYS[1], "nest-dapr-binary"); end;
  if ARGV[5] ~= "" then
    local ttl = tonumber(ARGV[5]);
    if ttl > 0 then redis.call("EXPIRE", KEYS[1], ttl); else redis.call("PERSIST", KEYS[1]); end;
  end;
  return version;
else
  return redis.error_reply("failed to set key " .. KEYS[1]);
end`;

/**
 * The raw-ioredis side of the Redis comparisons: its own connection with the
 * driver's default options, reading Dapr's format the cheapest raw way (HMGET of
 * data and version as strings) for a get, the set script (EVALSHA via defineCommand) for a save.
 */
export async function redisStateBaseline(opts: { host: string }) {
  const [host, port] = opts.host.split(':');
  const redis = new Redis({ host, port: Number(port ?? 6379), lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  redis.defineCommand('rawDaprSet', { numberOfKeys: 1, lua: SET_SCRIPT });
  const rawSet = (redis as unknown as { rawDaprSet: (...args: (string | Buffer)[]) => Promise<number> }).rawDaprSet.bind(redis);
  return {
    async get(key: string): Promise<unknown> {
      // The cheapest raw read of Dapr's hash: the fields a reader needs, as strings (a raw caller
      // knows its values are JSON; the driver reads Buffers, since a value may be binary).
      const [data] = await redis.hmget(key, 'data', 'version');
      if (data === null) return undefined;
      return JSON.parse(data);
    },
    async save(key: string, value: unknown): Promise<void> {
      await rawSet(key, '0', JSON.stringify(value), '1', '0', '');
    },
    /** True when the driver has run exactly this script (Redis caches scripts by SHA-1 of their text). */
    async sameScriptAsDriver(): Promise<boolean> {
      const sha = createHash('sha1').update(SET_SCRIPT).digest('hex');
      const [exists] = (await redis.script('EXISTS', sha)) as number[];
      return exists === 1;
    },
    async deletePrefix(prefix: string): Promise<void> {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    },
    close: async () => {
      await redis.quit();
    },
  };
}
