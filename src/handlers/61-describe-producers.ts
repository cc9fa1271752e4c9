/**
 * DescribeProducers (key 61), version 0.
 *
 * The active idempotent producers of each requested partition, from the same producer state the
 * produce path checks sequences against (loaded from the log on first use, like Kafka's
 * ProducerStateManager): producer id, epoch, the last sequence and max timestamp of its newest
 * batch (-1 when its batches aged out after DeleteRecords or retention), the coordinator epoch of
 * its last transaction marker (always 0: a single coordinator; -1 without a marker), and
 * currentTxnStartOffset: the first offset of the producer's open transaction in the partition
 * (-1 when none, as for every idempotent producer).
 * kafka-transactions describe-producers and find-hanging read it.
 *
 * Errors per partition, with Kafka's messages: an invalid topic name is INVALID_TOPIC_EXCEPTION
 * ("Topic name is invalid: ..."), an unknown topic UNKNOWN_TOPIC_OR_PARTITION ("This server does
 * not host this topic-partition."), an unknown partition of a known topic
 * UNKNOWN_TOPIC_OR_PARTITION without a message; a log that cannot be read KAFKA_STORAGE_ERROR.
 * Results follow the request order, duplicates included.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): READ on each topic
 * (TOPIC_AUTHORIZATION_FAILED).
 */
import {
  newDescribeProducersResponse,
  newDescribeProducersResponsePartition,
  newDescribeProducersResponseProducerState,
  newDescribeProducersResponseTopic,
  type DescribeProducersRequest,
  type DescribeProducersResponse,
  type DescribeProducersResponsePartition,
} from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { MAX_TOPIC_NAME_LENGTH } from '../metadata/topic-manager.js';
import { defineHandler, type RequestContext } from './types.js';
import { AclOperation, authorizationMessage, topicDecisions } from './authz.js';

/** Kafka's (4.x) invalid-topic messages for this API, or null for a valid name. */
function invalidTopic(name: string): string | null {
  if (name === '') return 'Topic name is invalid: the empty string is not allowed';
  if (name === '.' || name === '..') return `Topic name is invalid: '${name}' is not allowed`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is invalid: the length of '${name}' is longer than the max allowed length ${MAX_TOPIC_NAME_LENGTH}`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `Topic name is invalid: '${name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

function failed(partitionIndex: number, errorCode: number, errorMessage: string | null): DescribeProducersResponsePartition {
  return newDescribeProducersResponsePartition({ partitionIndex, errorCode, errorMessage, activeProducers: [] });
}

async function describe(ctx: RequestContext, topic: string, partition: number): Promise<DescribeProducersResponsePartition> {
  const problem = invalidTopic(topic);
  if (problem) return failed(partition, ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  if (!ctx.topics.get(topic)) return failed(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
  const log = ctx.partitions.get(topic, partition);
  if (!log) return failed(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
  let state;
  try {
    state = await ctx.producers.get(log);
  } catch (err) {
    if (err instanceof KafkaError) return failed(partition, err.code, err.message);
    return failed(partition, ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
  }
  const activeProducers = [...state.producers.values()].map((e) =>
    newDescribeProducersResponseProducerState({
      producerId: e.producerId,
      producerEpoch: e.epoch,
      lastSequence: e.batches.length > 0 ? e.batches[e.batches.length - 1]!.lastSeq : -1,
      lastTimestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch ?? -1,
      currentTxnStartOffset: state.ongoing.get(e.producerId) ?? -1,
    }),
  );
  return newDescribeProducersResponsePartition({ partitionIndex: partition, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers });
}

export default defineHandler<DescribeProducersRequest, DescribeProducersResponse>({
  key: 61,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const topics = [];
    // A repeated partition shares its first answer (its producer list is built once).
    const described = new Map<string, DescribeProducersResponsePartition>();
    // Authorization: READ on each topic (Kafka's), else TOPIC_AUTHORIZATION_FAILED.
    const readable = topicDecisions(ctx, AclOperation.READ);
    for (const t of req.topics) {
      const partitions = [];
      for (const p of t.partitionIndexes) {
        if (!readable(t.name)) {
          partitions.push(failed(p, ErrorCode.TOPIC_AUTHORIZATION_FAILED, authorizationMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED)));
          continue;
        }
        const key = `${t.name}\u0000${p}`;
        let res = described.get(key);
        if (!res) described.set(key, (res = await describe(ctx, t.name, p)));
        partitions.push(res);
      }
      topics.push(newDescribeProducersResponseTopic({ name: t.name, partitions }));
    }
    return newDescribeProducersResponse({ throttleTimeMs: 0, topics });
  },
  errorResponse(_ctx, req, code, message) {
    return newDescribeProducersResponse({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => newDescribeProducersResponseTopic({ name: t.name, partitions: t.partitionIndexes.map((p) => failed(p, code, message)) })),
    });
  },
});
