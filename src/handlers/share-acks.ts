/**
 * Acknowledgements as ShareFetch (78) and ShareAcknowledge (79) both carry them: per topic id and
 * partition, batches of [first, last] with one type or one per offset. Resolves topic ids, checks
 * READ on each topic, and applies them (src/share/service.ts) in memory; the request writes the
 * share partitions they changed in one round (src/share/state-writes.ts), then answers a code per partition.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { PartitionAck, ShareSession } from '../share/service.js';
import type { SharePartition } from '../share/share-partition.js';
import type { StateWrites } from '../share/state-writes.js';
import type { RequestContext } from './types.js';
import { AclOperation, canTopic } from './authz.js';

export interface AckTopic {
  topicId: Buffer;
  partitions: Array<{ partitionIndex: number; acknowledgementBatches: PartitionAck[] }>;
}

/** Checks the acknowledgement batches are well formed (ordered, no overlap, type count right). */
function wellFormed(batches: readonly PartitionAck[]): boolean {
  let prev = -1;
  for (const b of batches) {
    if (b.firstOffset < 0 || b.lastOffset < b.firstOffset || b.firstOffset <= prev) return false;
    const n = b.lastOffset - b.firstOffset + 1;
    if (b.acknowledgeTypes.length !== 1 && b.acknowledgeTypes.length !== n) return false;
    for (const t of b.acknowledgeTypes) if (t < 0 || t > 4) return false; // 0 gap ... 4 renew
    prev = b.lastOffset;
  }
  return true;
}

/** The acknowledgements of one request, applied in memory; their share partitions are in `writes`. */
export type AppliedAcks = Map<string, { errorCode: number; sp: SharePartition | null }>;

/**
 * Applies the acknowledgements in memory, adding each share partition changed to `writes`: the
 * caller flushes them (with its fetch's acquisitions, for ShareFetch) before it answers, then
 * reads the codes with ackCodes.
 */
export async function applyAcks(ctx: RequestContext, s: ShareSession, topics: readonly AckTopic[], writes: StateWrites<SharePartition>): Promise<AppliedAcks> {
  const out: AppliedAcks = new Map();
  const fail = (errorCode: number) => ({ errorCode, sp: null });
  for (const t of topics) {
    const topic = ctx.topics.byId(t.topicId);
    const allowed = topic !== undefined && canTopic(ctx, AclOperation.READ, topic.name);
    for (const p of t.partitions) {
      if (p.acknowledgementBatches.length === 0) continue;
      const key = `${t.topicId.toString('hex')}:${p.partitionIndex}`;
      if (!topic) out.set(key, fail(ErrorCode.UNKNOWN_TOPIC_ID));
      else if (!allowed) out.set(key, fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
      else if (!wellFormed(p.acknowledgementBatches)) out.set(key, fail(ErrorCode.INVALID_REQUEST));
      else out.set(key, await ctx.shareGroups.data.acknowledge(s.groupId, s.memberId, topic.name, t.topicId, p.partitionIndex, p.acknowledgementBatches, writes));
    }
  }
  return out;
}

/**
 * `${topicIdHex}:${partition}` → the acknowledgement's error code, once `writes` is flushed: a
 * failed write is KAFKA_STORAGE_ERROR, except a state fenced at the share coordinator (an offsets
 * reset or deletion: NOT_LEADER_OR_FOLLOWER, as Kafka; the client retries against a fresh copy).
 */
export function ackCodes(applied: AppliedAcks, writes: StateWrites<SharePartition>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, a] of applied) {
    const failed = a.sp === null ? 0 : writes.failureOf(a.sp);
    out.set(key, failed === 0 ? a.errorCode : failed === ErrorCode.NOT_LEADER_OR_FOLLOWER ? failed : ErrorCode.KAFKA_STORAGE_ERROR);
  }
  return out;
}

export function hasAcks(topics: readonly AckTopic[]): boolean {
  return topics.some((t) => t.partitions.some((p) => p.acknowledgementBatches.length > 0));
}
