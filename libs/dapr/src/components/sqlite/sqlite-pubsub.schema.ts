/**
 * Tables of the SQLite pub/sub queue. `messages` is the shared log of every
 * topic; `groups` holds one read cursor per (topic, consumer group) so every
 * group gets every message (fan-out); `leases` holds the messages a group has
 * taken but not yet settled: in flight (leased to one consumer until
 * `visible_at`) or waiting for redelivery. Competing consumers of a group take
 * messages under an IMMEDIATE transaction, so no message is leased twice.
 */
export function schemaSql(prefix: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${prefix}messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  data BLOB NOT NULL,
  metadata TEXT,
  content_type TEXT,
  published_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ${prefix}messages_topic_seq ON ${prefix}messages (topic, seq);
CREATE TABLE IF NOT EXISTS ${prefix}groups (
  topic TEXT NOT NULL,
  consumer_group TEXT NOT NULL,
  cursor INTEGER NOT NULL,
  PRIMARY KEY (topic, consumer_group)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ${prefix}leases (
  topic TEXT NOT NULL,
  consumer_group TEXT NOT NULL,
  seq INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  owner TEXT,
  PRIMARY KEY (topic, consumer_group, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ${prefix}leases_visible ON ${prefix}leases (topic, consumer_group, visible_at);
`;
}
