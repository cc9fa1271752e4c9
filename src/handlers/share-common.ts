/**
 * What the four share group handlers (76-79) share: the share.version gate (clients enable share
 * groups only when it is finalized at 1 or more; Kafka answers UNSUPPORTED_VERSION below that).
 */
import { SHARE_VERSION } from '../features/definitions.js';
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
