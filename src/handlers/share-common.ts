/**
 * What the four share group handlers (76-79) share: the share.version gate (clients enable share
 * groups only when it is finalized at 1 or more; Kafka answers UNSUPPORTED_VERSION below that).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { SHARE_VERSION } from '../features/definitions.js';
import { AclOperation, canGroup } from './authz.js';
import type { RequestContext } from './types.js';

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
 * In a cluster, share group membership lives on the group coordinator (the leader of the group's
 * __consumer_offsets partition, as for consumer groups): elsewhere NOT_COORDINATOR (or
 * COORDINATOR_LOAD_IN_PROGRESS), and a stale copy of the group here is dropped. On a single node
 * this broker coordinates every group: NONE.
 */
export async function shareCoordinatorRefusal(ctx: RequestContext, groupId: string): Promise<number> {
  if (ctx.node.partitionState === undefined) return ErrorCode.NONE;
  const refused = await ctx.groups.coordinatorRefusal(groupId);
  if (refused !== ErrorCode.NONE) ctx.shareGroups.unloadGroup(groupId);
  return refused;
}
