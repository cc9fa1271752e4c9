/**
 * What the share group handlers (76-79, 90-92) share: the share.version gate (clients enable share
 * groups only when it is finalized at 1 or more; Kafka answers UNSUPPORTED_VERSION below that),
 * the request checks of ShareFetch/ShareAcknowledge, and share.isolation.level's committed view.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { SHARE_VERSION } from '../features/definitions.js';
import { AclOperation, canGroup } from './authz.js';
import type { RequestContext } from './types.js';
import type { Partition } from '../data/partitions.js';
import type { CommittedView } from '../share/service.js';

export const SHARE_GROUPS_DISABLED = 'The share group protocol is not enabled: share.version is not finalized at 1 or higher.';

export function shareGroupsEnabled(ctx: RequestContext): boolean {
  return ctx.features.finalizedLevel(SHARE_VERSION) >= 1;
}

/** The partition's leader and epoch as Kafka's share answers carry them (-1, -1 when not hosted here). */
export function currentLeaderOf(ctx: RequestContext, topic: string | undefined, partition: number): { leaderId: number; leaderEpoch: number } {
  const log = topic === undefined ? undefined : ctx.partitions.get(topic, partition);
  return log ? { leaderId: log.leaderId, leaderEpoch: log.leaderEpoch } : { leaderId: -1, leaderEpoch: -1 };
}

/**
 * The checks ShareFetch and ShareAcknowledge make first, in Kafka's order: the share.version gate,
 * a group id, READ on the group, a member id. Returns the refusal [error, message], or null.
 */
export function shareRequestRefusal(ctx: RequestContext, groupId: string | null, memberId: string | null): [number, string | null] | null {
  if (!shareGroupsEnabled(ctx)) return [ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_DISABLED];
  if (groupId === null || groupId === '') return [ErrorCode.INVALID_REQUEST, 'Group id is missing.'];
  if (!canGroup(ctx, AclOperation.READ, groupId)) return [ErrorCode.GROUP_AUTHORIZATION_FAILED, null];
  if (memberId === null || memberId === '') return [ErrorCode.INVALID_REQUEST, 'Member id is missing.'];
  return null;
}

/**
 * share.isolation.level=read_committed for one partition: the last stable offset (a partition
 * never part of a transaction: the high watermark) and which stored batches belong to aborted
 * transactions (their producer id with an ABORT marker covering the batch's offsets).
 */
export async function committedView(ctx: RequestContext, log: Partition): Promise<CommittedView> {
  const hw = log.highWatermark;
  if (!ctx.txn.partitions.has(log.topic, log.partition)) return { end: hw, aborted: () => false };
  const state = ctx.producers.peek(log) ?? (await ctx.producers.get(log));
  const end = state.lastStableOffset(hw);
  return {
    end,
    aborted: (b) => {
      const base = Number(b.readBigInt64BE(0));
      const last = base + b.readInt32BE(23);
      const producerId = Number(b.readBigInt64BE(43));
      return state.abortedBetween(base, last + 1, log.logStartOffset).some((a) => a.producerId === producerId);
    },
  };
}

/** Kafka's message for an unknown topic or partition (UNKNOWN_TOPIC_OR_PARTITION's default). */
export const UNKNOWN_PARTITION = 'This server does not host this topic-partition.';

/** The topic id answered for a topic that does not exist. */
export const EMPTY_UUID = Buffer.alloc(16);

export const NON_EMPTY_SHARE_GROUP = (groupId: string): string => `The group ${groupId} is not empty.`;

/**
 * In a cluster, share group membership lives on the group coordinator (the leader of the group's
 * __consumer_offsets partition, as for consumer groups): elsewhere NOT_COORDINATOR (or
 * COORDINATOR_LOAD_IN_PROGRESS), and a stale copy of the group here is dropped. On a single node
 * this broker coordinates every group: NONE.
 */
export async function shareCoordinatorRefusal(ctx: RequestContext, groupId: string): Promise<number> {
  if (ctx.node.partitionState === undefined) return ErrorCode.NONE;
  let refused = await ctx.groups.coordinatorRefusal(groupId);
  // The share groups of the partition load on their own (share/group-ownership.ts): until they are
  // in, COORDINATOR_LOAD_IN_PROGRESS, so a member is not told its group is unknown.
  if (refused === ErrorCode.NONE) refused = ctx.shareGroups.ownershipRefusal(groupId);
  if (refused !== ErrorCode.NONE && refused !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) ctx.shareGroups.unloadGroup(groupId);
  return refused;
}
