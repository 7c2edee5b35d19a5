import { assignRanges } from './range.assigner';
import { Fnv1aPartitioner, fnv1a32, partitionForKey } from './fnv1a.partitioner';

describe('FNV-1a partitioner (sarama HashPartitioner)', () => {
  it('computes FNV-1a 32-bit like Go hash/fnv', () => {
    // Reference vectors of FNV-1a 32 (IETF draft-eastlake-fnv test suite).
    expect(fnv1a32(Buffer.from(''))).toBe(0x811c9dc5);
    expect(fnv1a32(Buffer.from('a'))).toBe(0xe40c292c);
    expect(fnv1a32(Buffer.from('foobar'))).toBe(0xbf9cf968);
  });

  it('takes abs(int32(hash) % n) like sarama (not the Java client masking)', () => {
    // "foobar" hashes to 0xbf9cf968, negative as int32: -1080231576.
    expect(0xbf9cf968 | 0).toBe(-1080231576);
    expect(partitionForKey('foobar', 7)).toBe(Math.abs(-1080231576 % 7));
    expect(partitionForKey('a', 3)).toBe(Math.abs((0xe40c292c | 0) % 3));
    for (const key of ['order-1', 'order-2', 'k', '🙂']) {
      const p = partitionForKey(key, 12);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(12);
    }
  });

  it('honours an explicit partition and spreads keyless records', () => {
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    const pick = Fnv1aPartitioner();
    expect(pick({ topic: 't', partitionMetadata, message: { value: 'x', partition: 2 } })).toBe(2);
    expect(pick({ topic: 't', partitionMetadata, message: { key: 'foobar', value: 'x' } })).toBe(partitionForKey('foobar', 3));
    const keyless = new Set([0, 1, 2, 3].map(() => pick({ topic: 't', partitionMetadata, message: { value: 'x' } })));
    expect(keyless.size).toBe(3);
  });
});

describe('range assignment', () => {
  it('gives contiguous ranges, extra partitions to the first members', () => {
    const got: Record<string, number[]> = {};
    assignRanges([0, 1, 2, 3, 4, 5, 6], ['a', 'b', 'c'], (m, p) => (got[m] = p));
    expect(got).toEqual({ a: [0, 1, 2], b: [3, 4], c: [5, 6] });
  });
});
