/**
 * AddPartitionsToTxn (key 24), versions 0-5.
 *
 * Adds partitions to the producer's transaction (starting it when none runs), through the
 * transaction coordinator (txn/coordinator.ts): the new state is in __transaction_state before
 * the answer, and only then may the producer send transactional batches to those partitions
 * (Produce refuses them otherwise, with INVALID_TXN_STATE / TRANSACTION_ABORTABLE by version,
 * unless the producer speaks transaction version 2: Produce v12+ adds the partition itself).
 *
 * v0-3 (clients): one transaction. Errors, one code for every partition as Kafka answers: unknown
 * topic or partition → UNKNOWN_TOPIC_OR_PARTITION for those and OPERATION_NOT_ATTEMPTED for the
 * rest; unknown transactional id or another producer id → INVALID_PRODUCER_ID_MAPPING; an older
 * epoch → PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2); while the previous transaction's
 * markers are written → CONCURRENT_TRANSACTIONS (the client retries).
 *
 * v4-5 (KIP-890, broker to broker: a partition leader asking the coordinator): several
 * transactions per request, each answered on its own. `verify_only` asks whether the partitions
 * are already in the running transaction (KIP-890 part 1) — per partition NONE or
 * TRANSACTION_ABORTABLE, nothing written; without it the partitions are added as in v3, as a
 * transaction version 2 client's implicit add. The caller needs CLUSTER_ACTION on the cluster
 * (else the top-level error CLUSTER_AUTHORIZATION_FAILED), as Kafka requires; the transactional
 * id and topic checks of v3 then apply per transaction.
 *
 * Version notes: v1 same as v0; v2 PRODUCER_FENCED; v3 flexible; v4 batched form with top-level
 * error; v5 TRANSACTION_ABORTABLE.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): WRITE on the transactional
 * id, then WRITE on each topic (the others OPERATION_NOT_ATTEMPTED).
 */
import {
  newAddPartitionsToTxnResponse,
  newAddPartitionsToTxnResponsePartitionResult,
  newAddPartitionsToTxnResponseTopicResult,
  newAddPartitionsToTxnResponseTransactionResult,
  newAddPartitionsToTxnResponseTxnPartitionResult,
  newAddPartitionsToTxnResponseTxnTopicResult,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnRequestTransaction,
  type AddPartitionsToTxnResponse,
  type AddPartitionsToTxnResponseTransactionResult,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { partitionKey } from '../txn/txn-requests.js';
import { defineHandler, type RequestContext } from './types.js';
import { AclOperation, canCluster, canTransactionalId, topicDecisions } from './authz.js';

type Topics = ReadonlyArray<{ name: string; partitions: readonly number[] }>;
type CodeOf = (topic: string, partition: number) => number;

function respond(req: AddPartitionsToTxnRequest, codeOf: CodeOf): AddPartitionsToTxnResponse {
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

function transactionResult(txn: AddPartitionsToTxnRequestTransaction, codeOf: CodeOf): AddPartitionsToTxnResponseTransactionResult {
  return newAddPartitionsToTxnResponseTransactionResult({
    transactionalId: txn.transactionalId,
    topicResults: txn.topics.map((t) =>
      newAddPartitionsToTxnResponseTxnTopicResult({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => newAddPartitionsToTxnResponseTxnPartitionResult({ partitionIndex: p, partitionErrorCode: codeOf(t.name, p) })),
      }),
    ),
  });
}

/** PRODUCER_FENCED is INVALID_PRODUCER_EPOCH for clients that predate it. */
export function fencedFor(version: number, since: number, code: number): number {
  return code === ErrorCode.PRODUCER_FENCED && version < since ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}

/**
 * One transaction's partitions added (or verified): authorization, unknown partitions, then the
 * coordinator. Returns the code of each partition.
 */
async function addOne(ctx: RequestContext, id: string, producerId: number, producerEpoch: number, topics: Topics, opts: { verifyOnly: boolean; tv: number }): Promise<CodeOf> {
  // Authorization (Kafka's): WRITE on the transactional id (else every partition
  // TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then WRITE on each topic (TOPIC_AUTHORIZATION_FAILED;
  // the other partitions OPERATION_NOT_ATTEMPTED).
  if (!canTransactionalId(ctx, AclOperation.WRITE, id)) return () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  const writable = topicDecisions(ctx, AclOperation.WRITE);
  if (topics.some((t) => !writable(t.name))) return (t) => (writable(t) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const unknown = new Set<string>();
  const parts: Array<[string, number]> = [];
  for (const t of topics) {
    const topic = ctx.topics.get(t.name);
    for (const p of t.partitions) {
      if (!topic || p < 0 || p >= topic.partitions) unknown.add(partitionKey(t.name, p));
      else parts.push([t.name, p]);
    }
  }
  if (unknown.size > 0) return (t, p) => (unknown.has(partitionKey(t, p)) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED);
  if (opts.verifyOnly) {
    const r = ctx.txn.verifyPartitions(id, producerId, producerEpoch, parts);
    if (typeof r === 'number') return () => r;
    return (t, p) => r.get(partitionKey(t, p)) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  }
  const code = fencedFor(ctx.version, 2, await ctx.txn.addPartitions(id, producerId, producerEpoch, parts, opts.tv));
  if (code !== ErrorCode.NONE) ctx.log.debug({ transactionalId: id, code }, 'AddPartitionsToTxn refused');
  return () => code;
}

export default defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  key: 24,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    if (ctx.version < 4) return respond(req, await addOne(ctx, req.transactionalId, req.producerId, req.producerEpoch, req.topics, { verifyOnly: false, tv: 0 }));
    // v4+: sent by brokers; Kafka requires CLUSTER_ACTION.
    if (!canCluster(ctx, AclOperation.CLUSTER_ACTION)) return this.errorResponse!(ctx, req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, '');
    const results = await Promise.all(
      req.transactions.map(async (txn) => {
        if (txn.transactionalId === '') return transactionResult(txn, () => ErrorCode.INVALID_REQUEST);
        return transactionResult(txn, await addOne(ctx, txn.transactionalId, txn.producerId, txn.producerEpoch, txn.topics, { verifyOnly: txn.verifyOnly, tv: 2 }));
      }),
    );
    return newAddPartitionsToTxnResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: results });
  },
  errorResponse(ctx, req, code) {
    if (ctx.version >= 4) return newAddPartitionsToTxnResponse({ throttleTimeMs: 0, errorCode: code, resultsByTransaction: [] });
    return respond(req, () => code);
  },
});
