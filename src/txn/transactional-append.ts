/**
 * Appending a batch the broker writes on a producer's behalf inside its transaction (the offsets
 * of TxnOffsetCommit, to __consumer_offsets): in the partition's append order, with the
 * partition's producer state loaded first and told about the open transaction, exactly as for a
 * produced transactional batch, so the last stable offset holds it back until its marker.
 */
import type { Partition, PartitionsPort } from '../data/partitions.js';
import type { ProducerStatesPort } from './port.js';

/**
 * Resolves once the batch is acknowledged with acks=all semantics, as Kafka's coordinators append
 * (one node: written, fsynced under the default flush policy; a cluster: the high watermark passed
 * it). Rejects with the partition's error (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, ...).
 */
export async function appendTransactionalBatch(
  partitions: Pick<PartitionsPort, 'appendInOrder'>,
  producers: ProducerStatesPort,
  partition: Partition,
  b: Buffer,
  producerId: number,
  minInsyncReplicas: number,
): Promise<void> {
  const acknowledged = await partitions.appendInOrder(
    partition,
    async () => {
      await producers.get(partition);
    },
    () => {
      const res = partition.append(b, -1, minInsyncReplicas);
      producers.peek(partition)!.beginTxn(producerId, res.baseOffset);
      return partition.acknowledgement(res, -1);
    },
  );
  await acknowledged;
}
