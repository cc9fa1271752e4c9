/**
 * Stage 4, target: the partition the batch goes to, and whether it can take the write as asked.
 * (Produce v0-v2, which Kafka 4.0 removed, are served: their message format v0/v1 sets are
 * converted first, legacy-produce.ts; a RecordBatch v2 in them takes the ordinary path, as Kafka
 * 2.x allowed.) A topic or partition this broker does not host is UNKNOWN_TOPIC_OR_PARTITION (in a
 * cluster NOT_LEADER_OR_FOLLOWER when the partition exists with its replicas elsewhere); acks=-1 on a topic asking for
 * more in-sync replicas than there are is NOT_ENOUGH_REPLICAS. That last check runs after the
 * header and CRC (stage 5), so a corrupt or oversized batch is refused as such on any topic, as
 * Runnel always answered (Kafka checks min.insync.replicas first).
 */
import { ErrorCode } from '../../../protocol/errors.js';
import type { ProducedBatch } from '../produced-batch.js';
import type { ProduceScope } from '../produce-scope.js';
import type { Refusal } from '../refusal.js';

const UNKNOWN_PARTITION: Refusal = Object.freeze({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'This server does not host this topic-partition.' });
const NOT_LEADER: Refusal = Object.freeze({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER, message: 'This server is not the leader for that topic-partition.' });
const NOT_ENOUGH_REPLICAS: Refusal = Object.freeze({ code: ErrorCode.NOT_ENOUGH_REPLICAS, message: 'Messages are rejected since there are fewer in-sync replicas than required.' });

/** Sets `b.log`, or refuses. */
export function resolvePartition(scope: ProduceScope, b: ProducedBatch): Refusal | null {
  const log = b.topic.topic === undefined ? undefined : scope.ports.partitions.get(b.topic.name, b.partition);
  if (log === undefined) {
    // Cluster: a partition whose replicas are elsewhere is NOT_LEADER_OR_FOLLOWER (stale metadata), as Kafka's getPartitionOrError answers.
    if (b.topic.topic === undefined) return UNKNOWN_PARTITION;
    return scope.ports.partitions.missingPartitionError?.(b.topic.name, b.partition) === ErrorCode.NOT_LEADER_OR_FOLLOWER ? NOT_LEADER : UNKNOWN_PARTITION;
  }
  b.log = log;
  return null;
}

/**
 * acks=-1 with fewer in-sync replicas than min.insync.replicas (the Partition's ISR), refused
 * before the records are walked; the append checks again (the ISR may change meanwhile).
 */
export function refuseUnderReplicated(scope: ProduceScope, b: ProducedBatch): Refusal | null {
  return b.log!.hasEnoughReplicas(scope.acks, b.topic.settings!.minInsyncReplicas) ? null : NOT_ENOUGH_REPLICAS;
}
