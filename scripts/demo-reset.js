'use strict';
/**
 * Gives the demo a fresh sample stock on every run, on any profile whose state lives on a server.
 * The checkout app seeds its stock with first-write (a restart must never reset a real shop), so a
 * second demo run — or a run of another profile that shares the same Redis keys — would otherwise
 * start with the grinder already sold. Reads the profile's own state components and removes only
 * their data: Redis keys under each store's Dapr key prefix, rows of each PostgreSQL state table.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { parseAllDocuments } = require('yaml');

/** Dapr's state key prefixes of a component (keyPrefix: appid (default) | name | none | custom). */
function redisPrefixes(doc) {
  const md = Object.fromEntries((doc.spec.metadata ?? []).map((m) => [String(m.name).toLowerCase(), m.value]));
  const strategy = md.keyprefix === undefined ? 'appid' : String(md.keyprefix);
  if (strategy.toLowerCase() === 'none') return []; // bare keys: nothing we can tell apart safely
  if (strategy.toLowerCase() === 'name') return [doc.metadata.name];
  if (strategy.toLowerCase() === 'appid') return doc.scopes ?? [];
  return [strategy];
}

function redisHostOf(doc) {
  const m = (doc.spec.metadata ?? []).find((e) => String(e.name).toLowerCase() === 'redishost');
  return m ? String(m.value) : '127.0.0.1:6379';
}

async function resetRedis(doc, say) {
  const { Redis } = require('ioredis');
  const redis = new Redis(redisHostOf(doc), { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    for (const prefix of redisPrefixes(doc)) {
      const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}||*`;
      let cursor = '0';
      let removed = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        if (keys.length) removed += await redis.del(...keys);
      } while (cursor !== '0');
      say(`state "${doc.metadata.name}": ${removed} Redis keys ${prefix}||* removed`);
    }
  } finally {
    redis.disconnect();
  }
}

async function resetPostgres(doc, say) {
  const md = Object.fromEntries((doc.spec.metadata ?? []).map((m) => [String(m.name).toLowerCase(), m.value]));
  const table = String(md.tablename ?? 'state');
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(table)) throw new Error(`demo reset: unexpected table name "${table}"`);
  const { Client } = require('pg');
  // The profile's connection string may come from a secret or the environment; the shipped ones are literal.
  const literal = typeof md.connectionstring === 'string' ? md.connectionstring : undefined;
  const connectionString = literal ?? process.env.POSTGRES_CONNECTION_STRING;
  if (!connectionString) return say(`state "${doc.metadata.name}": connection string not known here, left as it is`);
  const client = new Client(connectionString.includes('=') && !connectionString.includes('://') ? parseKeyValue(connectionString) : { connectionString });
  await client.connect();
  try {
    const exists = await client.query('SELECT to_regclass($1) AS t', [table]);
    if (exists.rows[0].t) {
      const res = await client.query(`DELETE FROM ${table}`);
      say(`state "${doc.metadata.name}": ${res.rowCount} rows of ${table} removed`);
    }
  } finally {
    await client.end();
  }
}

/** libpq's key=value form, as the profiles write it. */
function parseKeyValue(s) {
  const out = {};
  for (const part of s.trim().split(/\s+/)) {
    const [k, v] = part.split('=');
    out[k === 'dbname' ? 'database' : k] = k === 'port' ? Number(v) : v;
  }
  return out;
}

/** Removes the sample data of every state store the profile's state.yaml declares. */
async function resetProfileState(root, profile, say) {
  let text;
  try {
    text = readFileSync(join(root, 'components', profile, 'state.yaml'), 'utf8');
  } catch {
    return; // a profile without server-side state
  }
  for (const d of parseAllDocuments(text)) {
    const doc = d.toJSON();
    if (!doc || doc.kind !== 'Component') continue;
    if (doc.spec.type === 'state.redis') await resetRedis(doc, say);
    else if (doc.spec.type === 'state.postgresql') await resetPostgres(doc, say);
  }
}

module.exports = { resetProfileState };
