import { ETagInvalidError, ETagMismatchError } from '../../errors/state.errors';
import { RedisJsonModeError } from '../../errors/redis-json.error';
import type { ComponentMetadata } from '../../spi/component.spi';
import type {
  StateDeleteRequest,
  StateFeature,
  StateGetRequest,
  StateGetResponse,
  StateSetRequest,
  StateStoreDriver,
  StateTransactionOperation,
} from '../../spi/state.spi';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { closeRedis, connectRedis, parseRedisSettings, type RedisClient } from './redis-connection';
import { REDIS_STATE_METADATA } from './redis.metadata';

const TYPE = 'state.redis';
const FEATURES: readonly StateFeature[] = ['ETAG', 'TRANSACTIONAL', 'TTL'];

/**
 * Hash field marking a value saved from bytes, so it reads back byte-exact even
 * when the bytes happen to be valid JSON. It holds the `version` it was written
 * with: Dapr's `setDefaultQuery` never clears it but always bumps `version`, so
 * after a Dapr app overwrites the key the marker no longer matches and the
 * value reads as Dapr's SDKs read it. Dapr reads `data` and `version` only.
 */
export const REDIS_BINARY_FIELD = 'nest-dapr-binary';

/**
 * Dapr's `setDefaultQuery` (components-contrib `state/redis`), plus two
 * arguments of ours: ARGV[4] the binary marker and ARGV[5] the TTL, applied in
 * the same script instead of a separate EXPIRE/PERSIST round trip ("" = leave
 * the TTL alone, > 0 = EXPIRE, <= 0 = PERSIST).
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
  if ARGV[4] == "1" then redis.call("HSET", KEYS[1], "${REDIS_BINARY_FIELD}", version);
  else redis.call("HDEL", KEYS[1], "${REDIS_BINARY_FIELD}"); end;
  if ARGV[5] ~= "" then
    local ttl = tonumber(ARGV[5]);
    if ttl > 0 then redis.call("EXPIRE", KEYS[1], ttl); else redis.call("PERSIST", KEYS[1]); end;
  end;
  return version;
else
  return redis.error_reply("failed to set key " .. KEYS[1]);
end`;

/** Dapr's `delDefaultQuery`. */
const DEL_SCRIPT = `
local etag = redis.pcall("HGET", KEYS[1], "version");
if not etag or type(etag) == "table" or etag == ARGV[1] or etag == "" or ARGV[1] == "0" then
  return redis.call("DEL", KEYS[1]);
else
  return redis.error_reply("failed to delete " .. KEYS[1]);
end`;

/**
 * A transaction as one script, so it is all or nothing. Dapr sends a MULTI of
 * the set/delete scripts, which Redis does not roll back: an ETag failure in
 * one operation leaves the others applied, and a transactional outbox marker
 * would then be written for a transaction that failed. Here every operation is
 * first checked, in order, against the state the earlier ones leave (the same
 * rules as SET_SCRIPT and DEL_SCRIPT, with first-write ignored as in Dapr's
 * Multi), and only when all pass are they applied, with the same writes as
 * those scripts. KEYS are the operations' keys; ARGV has five entries an
 * operation: kind (s/d), version or ETag ("0" = none), data, binary marker, TTL.
 */
const MULTI_SCRIPT = `
local ver = {};
local fw = {};
for i = 1, #KEYS do
  local k = KEYS[i];
  local a = (i - 1) * 5;
  local kind = ARGV[a + 1];
  local etag = ARGV[a + 2];
  local cur = ver[k];
  local curfw = fw[k];
  if cur == nil then
    cur = redis.pcall("HGET", k, "version");
    if type(cur) == "table" then cur = false; end;
    curfw = redis.pcall("HGET", k, "first-write");
    if type(curfw) == "table" then curfw = false; end;
  end;
  if kind == "s" then
    if not (not cur or cur == "" or cur == etag or (not curfw and etag == "0")) then
      return redis.error_reply("failed to set key #" .. i);
    end;
    ver[k] = tostring((tonumber(cur) or 0) + 1);
    fw[k] = curfw;
  else
    if not (not cur or cur == etag or cur == "" or etag == "0") then
      return redis.error_reply("failed to delete #" .. i);
    end;
    ver[k] = false;
    fw[k] = false;
  end;
end;
for i = 1, #KEYS do
  local k = KEYS[i];
  local a = (i - 1) * 5;
  if ARGV[a + 1] == "s" then
    if type(redis.pcall("HGET", k, "version")) == "table" then redis.call("DEL", k); end;
    redis.call("HSET", k, "data", ARGV[a + 3]);
    local version = redis.call("HINCRBY", k, "version", 1);
    if ARGV[a + 4] == "1" then redis.call("HSET", k, "${REDIS_BINARY_FIELD}", version);
    else redis.call("HDEL", k, "${REDIS_BINARY_FIELD}"); end;
    if ARGV[a + 5] ~= "" then
      local ttl = tonumber(ARGV[a + 5]);
      if ttl > 0 then redis.call("EXPIRE", k, ttl); else redis.call("PERSIST", k); end;
    end;
  else
    redis.call("DEL", k);
  end;
end;
return #KEYS`;

interface ScriptCommands {
  daprStateSet(key: string, version: string, data: string | Buffer, firstWrite: string, binary: string, ttl: string): Promise<number>;
  daprStateDel(key: string, etag: string): Promise<number>;
  daprStateMulti(numberOfKeys: number, ...keysAndArgs: (string | Buffer)[]): Promise<number>;
}

/**
 * `state.redis` in Dapr's storage format, so a Dapr sidecar app and a
 * nest-dapr app share the same data: one hash per key with `data` (raw bytes,
 * or JSON text) and `version` (the integer ETag), `first-write` when created
 * with that concurrency mode; set/delete through Dapr's Lua semantics; TTL via
 * EXPIRE/PERSIST (a save without `ttlInSeconds` keeps an existing TTL, as in
 * Dapr); transactions as one all-or-nothing script (Dapr's MULTI/EXEC is not
 * rolled back on an ETag failure; see MULTI_SCRIPT).
 */
export class RedisStateStore implements StateStoreDriver {
  private client?: RedisClient;
  private replicas = 0;
  /** Component-level ttlInSeconds: Dapr's state.redis applies it to every save without its own. */
  private defaultTtl = '';

  async init(md: ComponentMetadata): Promise<void> {
    const m = decodeMetadata(REDIS_STATE_METADATA, md);
    const ttl = m.ttlInSeconds;
    this.defaultTtl = ttl === undefined ? '' : String(ttl);
    const settings = parseRedisSettings(md);
    const client = await connectRedis(TYPE, settings);
    this.client = client;
    client.defineCommand('daprStateSet', { numberOfKeys: 1, lua: SET_SCRIPT });
    client.defineCommand('daprStateDel', { numberOfKeys: 1, lua: DEL_SCRIPT });
    client.defineCommand('daprStateMulti', { lua: MULTI_SCRIPT });
    if (settings.type === 'node') this.replicas = await connectedReplicas(client);
    if (m.queryIndexes !== undefined) await refuseQueryIndexes(client, md);
  }

  features(): readonly StateFeature[] {
    return FEATURES;
  }

  async ping(): Promise<void> {
    await this.redis().ping();
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await closeRedis(c);
  }

  // get and set are the hot paths: no async frame of their own, one `then` whose success function
  // is made once (an async function's extra promise and resumption were measurable per call).
  get(req: StateGetRequest): Promise<StateGetResponse | undefined> {
    const key = req.key;
    // HMGET of the three fields a read needs, as Buffers (a binary value must stay byte-exact):
    // three replies instead of HGETALL's field/value pairs, which costs ~1.5 µs less per get.
    return this.redis()
      .hmgetBuffer(key, 'data', 'version', REDIS_BINARY_FIELD)
      .then(responseOf, (err: unknown) => this.getPlainKey(key, err));
  }

  /** A plain string key (written before Dapr used hashes): value without an ETag. */
  private async getPlainKey(key: string, err: unknown): Promise<StateGetResponse | undefined> {
    if (!isWrongType(err)) throw err;
    const client = this.redis();
    const type = await client.type(key);
    if (type === 'ReJSON-RL') throw new RedisJsonModeError(key);
    const data = await client.getBuffer(key);
    return data ? { data } : undefined;
  }

  set(req: StateSetRequest): Promise<void> {
    let sent: Promise<unknown>;
    try {
      sent = this.scripts().daprStateSet(
        req.key,
        parseVersion(req),
        dataArg(req),
        req.options?.concurrency === 'first-write' ? '0' : '1',
        req.isBinary ? '1' : '0',
        req.ttlInSeconds === undefined ? this.defaultTtl : String(req.ttlInSeconds),
      );
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const strong = this.replicas > 0 && req.options?.consistency === 'strong';
    return sent.then(strong ? () => this.waitForReplicas() : settledVoid, (err: unknown) => {
      throw setError(req, err);
    });
  }

  async delete(req: StateDeleteRequest): Promise<void> {
    try {
      await this.scripts().daprStateDel(req.key, req.etag ?? '0');
    } catch (err) {
      if (isScriptRejection(err)) throw new ETagMismatchError(req.key, 'etag mismatch', 'delete', { cause: err });
      throw err;
    }
    if (this.replicas > 0 && req.options?.consistency === 'strong') await this.waitForReplicas();
  }

  async multi(operations: StateTransactionOperation[]): Promise<void> {
    // Parse every ETag before anything is sent, as Dapr does.
    const keys: string[] = [];
    const args: (string | Buffer)[] = [];
    for (const op of operations) {
      keys.push(op.request.key);
      if (op.operation === 'upsert') {
        const r = op.request;
        // Dapr's Multi passes no first-write argument, so first-write is ignored in transactions.
        args.push('s', parseVersion(r), dataArg(r), r.isBinary ? '1' : '0', r.ttlInSeconds === undefined ? this.defaultTtl : String(r.ttlInSeconds));
      } else {
        args.push('d', op.request.etag ?? '0', '', '0', '');
      }
    }
    try {
      await this.scripts().daprStateMulti(keys.length, ...keys, ...args);
    } catch (err) {
      const failed = scriptRejectionIndex(err);
      if (failed !== undefined) {
        throw new ETagMismatchError(operations[failed].request.key, 'etag mismatch', 'transaction', { cause: err });
      }
      throw err;
    }
  }

  /** Dapr: strong consistency waits for the write to reach the replicas (WAIT n 1000). */
  private async waitForReplicas(): Promise<void> {
    await (this.redis() as { wait?: (n: number, ms: number) => Promise<number> }).wait?.(this.replicas, 1000);
  }

  private scripts(): ScriptCommands {
    return this.redis() as unknown as ScriptCommands;
  }

  private redis(): RedisClient {
    if (!this.client) throw new Error(`state store ${TYPE} is closed`);
    return this.client;
  }
}

/**
 * The value (and ETag) of the three fields HMGET returned, or undefined for a missing key.
 * (The block's typed error names the key when this throws.)
 */
function responseOf(fields: (Buffer | null)[]): StateGetResponse | undefined {
  const data = fields[0];
  const version = fields[1];
  if (!data) {
    if (!version) return undefined;
    throw new Error('the key is a hash without a "data" field');
  }
  const res: StateGetResponse = { data };
  if (version) {
    res.etag = version.toString();
    const marker = fields[2];
    if (marker && marker.equals(version)) {
      res.isBinary = true;
      res.exactBytes = true;
    }
  }
  return res;
}

function settledVoid(): void {}

/** A rejected set script is an ETag conflict (or first-write on an existing key); anything else as it is. */
function setError(req: StateSetRequest, err: unknown): unknown {
  if (!isScriptRejection(err)) return err;
  // The version the script was sent (parseVersion succeeded, or nothing was sent): "0" means no ETag.
  const hasEtag = parseVersion(req) !== '0';
  return new ETagMismatchError(req.key, hasEtag ? 'etag mismatch' : 'the key exists and was written with first-write', 'save', { cause: err });
}

/** JSON goes as the string ioredis writes directly; bytes as a Buffer view (no copy). */
function dataArg(req: StateSetRequest): string | Buffer {
  if (!req.isBinary && req.text !== undefined) return req.text;
  const v = req.value;
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

const INTEGER = /^-?\d+$/;

/** Dapr's parseETag: `0` without an ETag or with last-write; a non-integer ETag is invalid. */
function parseVersion(req: StateSetRequest): string {
  if (req.etag === undefined || req.options?.concurrency === 'last-write') return '0';
  if (!INTEGER.test(req.etag)) {
    throw new ETagInvalidError(req.key, `"${req.etag}" is not an integer version`);
  }
  return String(Number(req.etag));
}

function isScriptRejection(err: unknown): boolean {
  const msg = (err as Error)?.message ?? '';
  return msg.includes('failed to set key') || msg.includes('failed to delete');
}

/** The operation a rejected MULTI_SCRIPT names ("failed to set key #3" is the third, index 2). */
function scriptRejectionIndex(err: unknown): number | undefined {
  const m = /failed to (?:set key|delete) #(\d+)/.exec((err as Error)?.message ?? '');
  return m ? Number(m[1]) - 1 : undefined;
}

function isWrongType(err: unknown): boolean {
  return ((err as Error)?.message ?? '').startsWith('WRONGTYPE');
}

async function connectedReplicas(client: RedisClient): Promise<number> {
  try {
    const info = await client.info('replication');
    const m = /connected_slaves:(\d+)/.exec(info);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * `queryIndexes` asks for Dapr's query API on Redis, which needs the RedisJSON and
 * RediSearch modules (Redis Stack) and the JSON mode; fail at init, naming what is
 * missing on this server, rather than at the first query.
 */
async function refuseQueryIndexes(client: RedisClient, md: ComponentMetadata): Promise<void> {
  let names: string[] = [];
  try {
    const modules = (await client.call('MODULE', 'LIST')) as unknown[][];
    names = modules.map((entry) => String(entry[entry.indexOf('name') + 1] ?? '').toLowerCase());
  } catch {
    /* MODULE LIST refused (managed Redis): treat as no modules */
  }
  const missing = [
    names.includes('rejson') || names.includes('redisjson') ? undefined : 'RedisJSON',
    names.includes('search') || names.includes('ft') ? undefined : 'RediSearch',
  ].filter(Boolean);
  throw metadataError(
    md,
    'queryIndexes',
    missing.length
      ? `needs the ${missing.join(' and ')} module${missing.length > 1 ? 's' : ''} (Redis Stack), which this server does not have`
      : 'asks for the Redis query API and JSON mode, which nest-dapr does not implement',
  );
}
