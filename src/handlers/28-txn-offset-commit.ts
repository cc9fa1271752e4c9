/**
 * TxnOffsetCommit (key 28), versions 0-5.
 *
 * Group offsets committed as part of a transaction (groups/txn-offsets.ts): written to the
 * group's __consumer_offsets partition as a transactional batch, visible to OffsetFetch only
 * once the transaction commits (OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT
 * meanwhile), dropped if it aborts. The producer must have added the group's offsets partition
 * with AddOffsetsToTxn first (else INVALID_TXN_STATE) and hold the current epoch (else
 * INVALID_PRODUCER_EPOCH). v3 (KIP-447) carries the consumer's generation, member id and group
 * instance id, checked as OffsetCommit checks them (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 * FENCED_INSTANCE_ID); unknown partitions get UNKNOWN_TOPIC_OR_PARTITION.
 *
 * Transaction version 2 (KIP-890 part 2): v5 adds the group's offsets partition to the
 * transaction itself, as AddOffsetsToTxn would (the client sends none): PRODUCER_FENCED from the
 * coordinator is answered INVALID_PRODUCER_EPOCH, its retriable errors as they are (the client
 * retries them). v4 answers a partition not in the transaction with TRANSACTION_ABORTABLE, v0-3
 * with INVALID_TXN_STATE.
 *
 * Version notes: v2 committed leader epoch; v3 group metadata, flexible; v4 TRANSACTION_ABORTABLE;
 * v5 the implicit add. (Kafka 4.4's v6, topic ids instead of names, is not served.)
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): WRITE on the transactional
 * id, READ on the group, READ on each topic.
 */
import {
  newTxnOffsetCommitResponse,
  newTxnOffsetCommitResponsePartition,
  newTxnOffsetCommitResponseTopic,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CONSUMER_OFFSETS_TOPIC } from '../metadata/topic-manager.js';
import { defineHandler } from './types.js';
import { AclOperation, canGroup, canTransactionalId, topicDecisions } from './authz.js';

/** v4+ clients handle TRANSACTION_ABORTABLE; v5+ add the offsets partition themselves (transaction version 2). */
const ABORTABLE_VERSION = 4;
const TV2_VERSION = 5;

function respond(req: TxnOffsetCommitRequest, codes: number[]): TxnOffsetCommitResponse {
  let i = 0;
  return newTxnOffsetCommitResponse({
    throttleTimeMs: 0,
    topics: req.topics.map((t) =>
      newTxnOffsetCommitResponseTopic({
        name: t.name,
        partitions: t.partitions.map((p) => newTxnOffsetCommitResponsePartition({ partitionIndex: p.partitionIndex, errorCode: codes[i++] ?? ErrorCode.UNKNOWN_SERVER_ERROR })),
      }),
    ),
  });
}

export default defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  key: 28,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const count = req.topics.reduce((n, t) => n + t.partitions.length, 0);
    const all = (code: number) => respond(req, new Array<number>(count).fill(code));
    // Authorization (Kafka's): WRITE on the transactional id, READ on the group, then READ on each
    // topic (its partitions TOPIC_AUTHORIZATION_FAILED; the others are committed).
    if (!canTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return all(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!canGroup(ctx, AclOperation.READ, req.groupId)) return all(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const readable = topicDecisions(ctx, AclOperation.READ);
    /** The answers: `codes` for the readable topics' partitions, in order, TOPIC_AUTHORIZATION_FAILED for the others. */
    const merged = (codes: (i: number) => number) => {
      let i = 0;
      return respond(req, req.topics.flatMap((t) => t.partitions.map(() => (readable(t.name) ? codes(i++) : ErrorCode.TOPIC_AUTHORIZATION_FAILED))));
    };
    if (req.groupId === '') return all(ErrorCode.INVALID_GROUP_ID);
    const offsetsPartition = ctx.groups.partitionFor(req.groupId);
    if (ctx.version >= TV2_VERSION) {
      const adding = ctx.txn.addImplicitly(req.transactionalId, req.producerId, req.producerEpoch, CONSUMER_OFFSETS_TOPIC, offsetsPartition);
      const code = adding === null ? ErrorCode.NONE : await adding;
      if (code !== ErrorCode.NONE) {
        ctx.log.debug({ transactionalId: req.transactionalId, group: req.groupId, code }, 'TxnOffsetCommit: adding the offsets partition failed');
        return merged(() => (code === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : code));
      }
    }
    let denied = ctx.txn.verify(req.producerId, req.producerEpoch, CONSUMER_OFFSETS_TOPIC, offsetsPartition);
    if (denied?.code === ErrorCode.INVALID_TXN_STATE && ctx.version >= ABORTABLE_VERSION) denied = { code: ErrorCode.TRANSACTION_ABORTABLE, message: denied.message };
    if (denied) {
      ctx.log.debug({ transactionalId: req.transactionalId, group: req.groupId, reason: denied.message }, 'TxnOffsetCommit refused');
      return merged(() => denied.code);
    }
    const codes = await ctx.groups.commitTxnOffsets({
      groupId: req.groupId,
      producerId: req.producerId,
      producerEpoch: req.producerEpoch,
      generationId: ctx.version >= 3 ? req.generationId : -1,
      memberId: ctx.version >= 3 ? req.memberId : '',
      groupInstanceId: ctx.version >= 3 ? req.groupInstanceId : null,
      offsets: req.topics.flatMap((t) =>
        !readable(t.name) ? [] : t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata })),
      ),
    });
    return merged((i) => codes[i] ?? ErrorCode.UNKNOWN_SERVER_ERROR);
  },
  errorResponse(_ctx, req, code) {
    const count = req.topics.reduce((n, t) => n + t.partitions.length, 0);
    return respond(req, new Array<number>(count).fill(code));
  },
});
