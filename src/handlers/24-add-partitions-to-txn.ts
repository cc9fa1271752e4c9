/**
 * AddPartitionsToTxn (key 24), versions 0-3.
 *
 * Adds partitions to the producer's transaction (starting it when none runs), through the
 * transaction coordinator (txn/coordinator.ts): the new state is in __transaction_state before
 * the answer, and only then may the producer send transactional batches to those partitions
 * (Produce refuses them otherwise, with INVALID_TXN_STATE).
 *
 * Errors, one code for every partition as Kafka answers: unknown topic or partition →
 * UNKNOWN_TOPIC_OR_PARTITION for those and OPERATION_NOT_ATTEMPTED for the rest; unknown
 * transactional id or another producer id → INVALID_PRODUCER_ID_MAPPING; an older epoch →
 * PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2); while the previous transaction's markers
 * are written → CONCURRENT_TRANSACTIONS (the client retries).
 *
 * Version notes: v1 same as v0; v2 PRODUCER_FENCED; v3 flexible. v4+ (several transactions per
 * request, broker-to-broker verification, KIP-890) is not served.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): WRITE on the transactional
 * id, then WRITE on each topic (the others OPERATION_NOT_ATTEMPTED).
 */
import {
  newAddPartitionsToTxnResponse,
  newAddPartitionsToTxnResponsePartitionResult,
  newAddPartitionsToTxnResponseTopicResult,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canTransactionalId, topicDecisions } from './authz.js';

function respond(req: AddPartitionsToTxnRequest, codeOf: (topic: string, partition: number) => number): AddPartitionsToTxnResponse {
  return newAddPartitionsToTxnResponse({
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: req.topics.map((t) =>
      newAddPartitionsToTxnResponseTopicResult({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => newAddPartitionsToTxnResponsePartitionResult({ partitionIndex: p, partitionErrorCode: codeOf(t.name, p) })),
      }),
    ),
  });
}

/** PRODUCER_FENCED is INVALID_PRODUCER_EPOCH for clients that predate it. */
export function fencedFor(version: number, since: number, code: number): number {
  return code === ErrorCode.PRODUCER_FENCED && version < since ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

export default defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  key: 24,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    // Authorization (Kafka's): WRITE on the transactional id (else every partition
    // TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then WRITE on each topic (TOPIC_AUTHORIZATION_FAILED;
    // the other partitions OPERATION_NOT_ATTEMPTED).
    if (!canTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return respond(req, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const writable = topicDecisions(ctx, AclOperation.WRITE);
    if (req.topics.some((t) => !writable(t.name))) return respond(req, (t) => (writable(t) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.TOPIC_AUTHORIZATION_FAILED));
    const unknown = new Set<string>();
    const parts: Array<[string, number]> = [];
    for (const t of req.topics) {
      const topic = ctx.topics.get(t.name);
      for (const p of t.partitions) {
        if (!topic || p < 0 || p >= topic.partitions) unknown.add(`${t.name}\u0000${p}`);
        else parts.push([t.name, p]);
      }
    }
    if (unknown.size > 0) {
      return respond(req, (t, p) => (unknown.has(`${t}\u0000${p}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
    }
    const code = fencedFor(ctx.version, 2, await ctx.txn.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, parts));
    if (code !== ErrorCode.NONE) ctx.log.debug({ transactionalId: req.transactionalId, code }, 'AddPartitionsToTxn refused');
    return respond(req, () => code);
  },
  errorResponse(_ctx, req, code) {
    return respond(req, () => code);
  },
});
