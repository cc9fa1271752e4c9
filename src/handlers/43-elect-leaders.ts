/**
 * ElectLeaders (key 43), versions 0-2.
 *
 * Every partition has one replica, this broker, which already leads it: as Kafka answers for a
 * single-replica partition, each requested partition gets ELECTION_NOT_NEEDED ("Leader election
 * not needed for topic partition."), for preferred (0) and unclean (1) elections alike. Unknown
 * topics and partitions get UNKNOWN_TOPIC_OR_PARTITION with Kafka's "No such topic as T" / "No
 * such partition as T-P". A null topic list (kafka-leader-election --all-topic-partitions) means
 * every partition; Kafka then reports only partitions where an election ran, so each topic comes
 * back with an empty result list and the tool prints nothing. Results follow the request order,
 * duplicates included. An unknown election type is INVALID_REQUEST, at the top (v1+) and on
 * every partition ("Unknown election type N").
 *
 * Version notes: v1 adds the election type and the top-level error code, v2 is flexible.
 */
import {
  newElectLeadersResponse,
  newElectLeadersResponsePartitionResult,
  newElectLeadersResponseResult,
  type ElectLeadersRequest,
  type ElectLeadersResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler, type RequestContext } from './types.js';

const PREFERRED = 0;
const UNCLEAN = 1;

function partitionResult(ctx: RequestContext, topic: string, partition: number): { code: number; message: string } {
  const t = ctx.topics.get(topic);
  if (!t) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `No such topic as ${topic}` };
  if (partition < 0 || partition >= t.partitions) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `No such partition as ${topic}-${partition}` };
  return { code: ErrorCode.ELECTION_NOT_NEEDED, message: 'Leader election not needed for topic partition.' };
}

function everyPartition(req: ElectLeadersRequest, code: number, message: string): ElectLeadersResponse {
  return newElectLeadersResponse({
    throttleTimeMs: 0,
    errorCode: code,
    replicaElectionResults: (req.topicPartitions ?? []).map((t) =>
      newElectLeadersResponseResult({
        topic: t.topic,
        partitionResult: t.partitions.map((partitionId) => newElectLeadersResponsePartitionResult({ partitionId, errorCode: code, errorMessage: message })),
      }),
    ),
  });
}

export default defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  key: 43,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req) {
    const type = ctx.version >= 1 ? req.electionType : PREFERRED;
    if (type !== PREFERRED && type !== UNCLEAN) return everyPartition(req, ErrorCode.INVALID_REQUEST, `Unknown election type ${type}`);
    if (req.topicPartitions === null) {
      const all = [...ctx.topics.all()].map((t) => newElectLeadersResponseResult({ topic: t.name, partitionResult: [] }));
      return newElectLeadersResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: all });
    }
    return newElectLeadersResponse({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      replicaElectionResults: req.topicPartitions.map((t) =>
        newElectLeadersResponseResult({
          topic: t.topic,
          partitionResult: t.partitions.map((partitionId) => {
            const { code, message } = partitionResult(ctx, t.topic, partitionId);
            return newElectLeadersResponsePartitionResult({ partitionId, errorCode: code, errorMessage: message });
          }),
        }),
      ),
    });
  },
  errorResponse(_ctx, req, code, message) {
    return everyPartition(req, code, message);
  },
});
