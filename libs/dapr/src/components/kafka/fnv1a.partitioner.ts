import type { ICustomPartitioner } from 'kafkajs';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32 bit, over the raw key bytes (Go's `hash/fnv.New32a`). */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    // Math.imul keeps the multiplication in 32-bit integer space like Go's uint32.
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * The partition sarama's default HashPartitioner (what Dapr's Kafka component
 * uses) picks for a key: `int32(fnv1a(key)) % n`, negated when negative. Using
 * the same function means a key published here lands on the same partition as
 * the same key published through a Dapr sidecar, so per-key ordering holds
 * across both kinds of producer. (kafkajs defaults to murmur2, which would not.)
 */
export function partitionForKey(key: Uint8Array | string, partitionCount: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  // Math.abs also turns JS's -0 into 0.
  return Math.abs((fnv1a32(bytes) | 0) % partitionCount);
}

/**
 * kafkajs partitioner: explicit `partition` wins (Dapr's `partitionNumber`),
 * a key goes through FNV-1a, and a keyless message is spread round-robin over
 * the available partitions (sarama picks at random; either is fine for keyless
 * messages, round-robin spreads them more evenly).
 */
export const Fnv1aPartitioner: ICustomPartitioner = () => {
  let counter = 0;
  return ({ partitionMetadata, message }) => {
    const count = partitionMetadata.length;
    if (typeof message.partition === 'number') return message.partition;
    if (message.key !== null && message.key !== undefined) return partitionForKey(message.key, count);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    const pool = available.length > 0 ? available : partitionMetadata;
    const chosen = pool[counter++ % pool.length];
    if (counter > 0x3fffffff) counter = 0;
    return chosen.partitionId;
  };
};
