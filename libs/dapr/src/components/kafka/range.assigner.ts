import type { Assigner, AssignerProtocol, Cluster, PartitionAssigner } from 'kafkajs';

type Protocol = typeof AssignerProtocol;

/**
 * Kafka's standard `range` assignor (sarama's and the Java client's default,
 * so Dapr sidecars and this library can share one consumer group).
 *
 * Why not kafkajs' built-in RoundRobinAssigner: it hands the leader's own
 * topic list to every member and ignores what each member subscribed to. This
 * driver runs one kafkajs consumer per subscribed topic, all in the app's
 * consumer group, so the assignor must give each topic's partitions only to
 * the members that subscribed to that topic — which is exactly what `range`
 * does: per topic, members sorted by id, contiguous partition ranges, the
 * first `partitions % members` members getting one extra.
 */
export function createRangeAssigner(protocol: Protocol): PartitionAssigner {
  return ({ cluster }: { cluster: Cluster }): Assigner => ({
    name: 'range',
    version: 0,
    async assign({ members }) {
      const subscribers = new Map<string, string[]>();
      for (const member of members) {
        const meta = protocol.MemberMetadata.decode(member.memberMetadata);
        for (const topic of meta?.topics ?? []) {
          const list = subscribers.get(topic) ?? [];
          list.push(member.memberId);
          subscribers.set(topic, list);
        }
      }
      // The leader only tracks metadata for its own topics; fetch the rest.
      await cluster.addMultipleTargetTopics([...subscribers.keys()]);

      const plan = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
      for (const [topic, memberIds] of subscribers) {
        const partitions = cluster
          .findTopicPartitionMetadata(topic)
          .map((p) => p.partitionId)
          .sort((a, b) => a - b);
        assignRanges(partitions, [...memberIds].sort(), (memberId, slice) => {
          if (slice.length > 0) plan.get(memberId)![topic] = slice;
        });
      }
      return [...plan].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: protocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'range',
        metadata: protocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

/** Splits sorted partitions over sorted members in contiguous ranges. */
export function assignRanges(
  partitions: number[],
  memberIds: string[],
  give: (memberId: string, partitions: number[]) => void,
): void {
  const per = Math.floor(partitions.length / memberIds.length);
  const extra = partitions.length % memberIds.length;
  memberIds.forEach((memberId, i) => {
    const start = i * per + Math.min(i, extra);
    const length = per + (i < extra ? 1 : 0);
    give(memberId, partitions.slice(start, start + length));
  });
}
