/**
 * The admin side of groups: DescribeGroups, ListGroups and DeleteGroups as Kafka answers them,
 * and describeGroupLag() — committed offset vs log end offset per partition — for the admin APIs'
 * callers, the CLI and metrics.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { assignmentPartitions, CONSUMER_PROTOCOL_TYPE } from '../../protocol/consumer-protocol.js';
import type { GroupCoordinator } from './coordinator.js';
import type { GroupState } from './group.js';
import { EMPTY_BYTES } from './member.js';
import { removeOffsetsDurably } from './offsets.js';
import { consumerGroupOwners } from './consumer/describe.js';

export interface MemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** The member's metadata for the selected protocol (empty unless the group is Stable). */
  metadata: Buffer;
  assignment: Buffer;
}

export interface GroupDescription {
  errorCode: number;
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocol: string;
  members: MemberDescription[];
  /**
   * Why there is no classic group to describe (unknown, or a consumer group): DescribeGroups v6+
   * answers GROUP_ID_NOT_FOUND with this message, older versions a Dead group (KIP-1043).
   */
  notFound: string | null;
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  /** Classic states, or a consumer group's (Empty, Assigning, Reconciling, Stable). */
  state: string;
  /** 'classic', or 'consumer' for a consumer group of the KIP-848 protocol. */
  type: 'classic' | 'consumer' | 'share';
}

/**
 * Kafka's ClassicGroup.describe: the protocol and member metadata only for a Stable group; the
 * members' current assignments in every state (Kafka 4's coordinator, unlike the old one, keeps
 * them visible while a rebalance runs).
 */
export function describeGroup(coord: GroupCoordinator, groupId: string): GroupDescription {
  const dead: GroupDescription = { errorCode: ErrorCode.NONE, groupId, state: 'Dead', protocolType: '', protocol: '', members: [], notFound: `Group ${groupId} not found.` };
  const refused = coord.refusal(groupId);
  if (refused !== ErrorCode.NONE) return { ...dead, errorCode: refused, notFound: null };
  const group = coord.getGroup(groupId);
  if (!group || group.is('Dead')) return dead;
  if (group.consumer !== null) return { ...dead, notFound: `Group ${groupId} is not a classic group.` };
  const stable = group.is('Stable');
  const protocol = stable ? (group.protocolName ?? '') : '';
  return {
    errorCode: ErrorCode.NONE,
    notFound: null,
    groupId,
    state: group.state,
    protocolType: group.protocolType ?? '',
    protocol,
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: stable ? m.metadataFor(protocol) : EMPTY_BYTES,
      assignment: m.assignment,
    })),
  };
}

/**
 * Every live group coordinated here, optionally only those in the given states (case-insensitive,
 * as Kafka). While a partition loads the answer is COORDINATOR_LOAD_IN_PROGRESS with the groups
 * known so far, as Kafka's handleListGroups gives it.
 */
export function listGroups(coord: GroupCoordinator, states: readonly string[] = []): { errorCode: number; groups: GroupListing[] } {
  if (coord.stopping) return { errorCode: ErrorCode.NOT_COORDINATOR, groups: [] };
  const wanted = new Set(states.map((s) => s.toLowerCase()));
  const groups: GroupListing[] = [];
  for (const g of coord.groups.values()) {
    if (g.is('Dead')) continue;
    const listing: GroupListing = g.consumer
      ? { groupId: g.groupId, protocolType: 'consumer', state: g.consumer.stateName(), type: 'consumer' }
      : { groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, type: 'classic' };
    if (wanted.size > 0 && !wanted.has(listing.state.toLowerCase())) continue;
    groups.push(listing);
  }
  return { errorCode: coord.ownership.anyLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
}

/** DeleteGroups: only empty groups; their offsets and metadata get tombstones. One code per id. */
export async function deleteGroups(coord: GroupCoordinator, groupIds: readonly string[]): Promise<number[]> {
  return Promise.all(
    groupIds.map(async (groupId) => {
      const refused = coord.refusal(groupId);
      if (refused !== ErrorCode.NONE) return refused;
      const group = coord.getGroup(groupId);
      if (!group || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
      if (!group.is('Empty') || (group.consumer?.size ?? 0) > 0) return ErrorCode.NON_EMPTY_GROUP;
      const offsets: Array<[string, number]> = [...group.allOffsets()].map(([t, p]) => [t, p]);
      coord.removeGroup(group);
      try {
        await removeOffsetsDurably(coord, group, offsets, true);
      } catch (err) {
        coord.logger.warn({ group: groupId, err: (err as Error).message }, 'writing group tombstones failed');
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
      coord.logger.info({ group: groupId, offsets: offsets.length }, 'group deleted');
      return ErrorCode.NONE;
    }),
  );
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** null: nothing committed. */
  committed: number | null;
  /** null: the partition no longer exists. */
  logEndOffset: number | null;
  /** logEndOffset - committed (never negative); null when either is unknown. */
  lag: number | null;
  /** The member the partition is assigned to, for consumer groups that are Stable. */
  memberId: string | null;
  clientId: string | null;
}

export interface GroupLag {
  groupId: string;
  state: string;
  partitions: PartitionLag[];
  /** Sum of the known lags. */
  totalLag: number;
}

/**
 * Per partition of the group (every partition with a commit, plus every partition assigned to a
 * member of a consumer group): committed offset, log end offset (high watermark) and lag.
 */
export function describeGroupLag(coord: GroupCoordinator, groupId: string): GroupLag | null {
  const group = coord.getGroup(groupId);
  if (!group || group.is('Dead')) return null;
  const rows = new Map<string, PartitionLag>();
  const row = (topic: string, partition: number): PartitionLag => {
    const key = `${topic}\u0000${partition}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { topic, partition, committed: null, logEndOffset: null, lag: null, memberId: null, clientId: null }));
    return r;
  };
  for (const [topic, partition, o] of group.allOffsets()) row(topic, partition).committed = o.offset;
  if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.is('Stable')) {
    for (const m of group.members.values()) {
      const assigned = assignmentPartitions(m.assignment);
      if (!assigned) continue;
      for (const [topic, parts] of assigned) {
        for (const p of parts) {
          const r = row(topic, p);
          r.memberId = m.memberId;
          r.clientId = m.clientId;
        }
      }
    }
  }
  if (group.consumer) {
    for (const [key, owner] of consumerGroupOwners(coord, groupId)) {
      const sep = key.lastIndexOf('\u0000');
      const r = row(key.slice(0, sep), Number(key.slice(sep + 1)));
      r.memberId = owner.memberId;
      r.clientId = owner.clientId;
    }
  }
  let totalLag = 0;
  const partitions = [...rows.values()].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  for (const r of partitions) {
    r.logEndOffset = coord.logEndOffset(r.topic, r.partition);
    if (r.committed !== null && r.committed >= 0 && r.logEndOffset !== null) {
      r.lag = Math.max(0, r.logEndOffset - r.committed);
      totalLag += r.lag;
    }
  }
  return { groupId, state: group.consumer ? group.consumer.stateName() : group.state, partitions, totalLag };
}
