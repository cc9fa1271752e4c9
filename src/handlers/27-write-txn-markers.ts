/**
 * WriteTxnMarkers (key 27), versions 0-1.
 *
 * The transaction coordinator of another broker sends this to the leaders of a transaction's
 * partitions (txn/cluster-markers.ts; a coordinator appends the markers of partitions it leads
 * itself), and admin clients do: `kafka-transactions abort` (Admin.abortTransaction) ends a
 * hanging transaction in one partition by writing its ABORT marker. Each marker is appended
 * through the same path as the coordinator's (producer state, last stable offset,
 * aborted-transactions index; group offsets for __consumer_offsets), with acks=all semantics; the
 * partitions of a request are appended concurrently, each answered once acknowledged. A marker
 * with an epoch older than the producer's in that partition gets INVALID_PRODUCER_EPOCH, an
 * unknown partition UNKNOWN_TOPIC_OR_PARTITION, a partition not led here NOT_LEADER_OR_FOLLOWER,
 * and a storage failure KAFKA_STORAGE_ERROR.
 *
 * Version notes: v1 flexible. v2 (transaction version, KIP-890) is not served.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): CLUSTER_ACTION on the
 * cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import {
  newWriteTxnMarkersResponse,
  newWriteTxnMarkersResponseMarker,
  newWriteTxnMarkersResponsePartition,
  newWriteTxnMarkersResponseTopic,
  type WriteTxnMarkersRequest,
  type WriteTxnMarkersResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canCluster } from './authz.js';

export default defineHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>({
  key: 27,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    // Authorization: CLUSTER_ACTION on the cluster (brokers send markers; Kafka's rule).
    if (!canCluster(ctx, AclOperation.CLUSTER_ACTION)) return this.errorResponse!(ctx, req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, '');
    const markers = [];
    for (const m of req.markers) {
      const topics = [];
      for (const t of m.topics) {
        const partitions = t.partitionIndexes.map(async (p) => {
          let errorCode: number;
          try {
            errorCode = await ctx.txn.appendMarker(t.name, p, m.producerId, m.producerEpoch, m.transactionResult, m.coordinatorEpoch, true);
          } catch (err) {
            errorCode = err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR;
          }
          ctx.log.debug({ topic: t.name, partition: p, producerId: m.producerId, result: m.transactionResult ? 'commit' : 'abort', errorCode }, 'transaction marker written on request');
          return newWriteTxnMarkersResponsePartition({ partitionIndex: p, errorCode });
        });
        topics.push(newWriteTxnMarkersResponseTopic({ name: t.name, partitions: await Promise.all(partitions) }));
      }
      markers.push(newWriteTxnMarkersResponseMarker({ producerId: m.producerId, topics }));
    }
    return newWriteTxnMarkersResponse({ markers });
  },
  errorResponse(_ctx, req, code) {
    return newWriteTxnMarkersResponse({
      markers: req.markers.map((m) =>
        newWriteTxnMarkersResponseMarker({
          producerId: m.producerId,
          topics: m.topics.map((t) => newWriteTxnMarkersResponseTopic({ name: t.name, partitions: t.partitionIndexes.map((p) => newWriteTxnMarkersResponsePartition({ partitionIndex: p, errorCode: code })) })),
        }),
      ),
    });
  },
});
