/**
 * One consumer group of the KIP-848 protocol, without I/O (heartbeat.ts drives it): the group
 * epoch (bumped by every membership, subscription or subscribed-topic metadata change), the target
 * assignment and the epoch it was computed at, the members with their reconciliation state, and
 * which partitions are owned (assigned or pending revocation) by whom.
 *
 * Group states, as Kafka's ConsumerGroup.ConsumerGroupState:
 *   empty        no members
 *   assigning    the group epoch moved past the target assignment's epoch
 *   reconciling  some member has not reached the target assignment yet
 *   stable       every member owns its target assignment at the assignment epoch
 *
 * It hangs off the classic Group object of the same id (group.ts `consumer`), which keeps the
 * committed offsets for both kinds of group.
 */
import type { Protocol } from '../member.js';
import { partitionsOf, type Assignment } from './assignment.js';
import { MemberState, type MemberStateCode } from './reconcile.js';

/**
 * What a member of the classic protocol (JoinGroup/SyncGroup/Heartbeat) keeps inside a consumer
 * group (online migration, KIP-848): Kafka's ClassicMemberMetadata, persisted as the member
 * record's tagged field 0.
 */
export interface ClassicProtocolMetadata {
  sessionTimeoutMs: number;
  /** The protocols of its last JoinGroup (name → ConsumerProtocolSubscription bytes). */
  protocols: Protocol[];
}

export interface ConsumerMember {
  readonly memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberStateCode;
  assigned: Assignment;
  pendingRevocation: Assignment;
  sessionTimer: NodeJS.Timeout | null;
  revocationTimer: NodeJS.Timeout | null;
  /**
   * `${topicIdHex}:${partition}` → the member epoch since which it owns that partition (KIP-1251's
   * assignment epochs): a commit sent with an older epoch is still valid for partitions owned
   * since then. Persisted as the current-assignment record's AssignmentEpochs (tagged field).
   */
  ownedSince: Map<string, number>;
  /** Set for a member using the classic protocol (a group migrating between the protocols). */
  classic: ClassicProtocolMetadata | null;
}

export type ConsumerGroupStateName = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

export function newConsumerMember(memberId: string): ConsumerMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    rebalanceTimeoutMs: -1,
    serverAssignor: null,
    memberEpoch: 0,
    previousMemberEpoch: -1,
    state: MemberState.STABLE,
    assigned: new Map(),
    pendingRevocation: new Map(),
    sessionTimer: null,
    revocationTimer: null,
    ownedSince: new Map(),
    classic: null,
  };
}

export class ConsumerGroupState {
  groupEpoch = 0;
  assignmentEpoch = 0;
  /** The subscribed topics' metadata the current group epoch accounts for (see subscriptionHash). */
  metadataHash = 0;
  readonly members = new Map<string, ConsumerMember>();
  /** instance id → member id (static membership). */
  readonly staticMembers = new Map<string, string>();
  /** member id → its target assignment (computed at assignmentEpoch). */
  readonly target = new Map<string, Assignment>();
  /** `${topicIdHex}:${partition}` → epoch of the member owning it (assigned or pending revocation). */
  private readonly owners = new Map<string, number>();
  /** The assignor that computed the target assignment ('' before the first). */
  assignorName = '';
  /** Moves with every join, leave and subscription change (the metadata hash cache key with the topics version). */
  subscriptionsVersion = 0;
  /** `${topicsVersion}/${subscriptionsVersion}` metadataHash was computed for. */
  hashComputedFor = '';
  lastHash = 0;

  get size(): number {
    return this.members.size;
  }

  stateName(): ConsumerGroupStateName {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.memberEpoch !== this.assignmentEpoch || m.state !== MemberState.STABLE) return 'Reconciling';
    return 'Stable';
  }

  ownerEpoch(topicId: string, partition: number): number {
    return this.owners.get(`${topicId}:${partition}`) ?? -1;
  }

  /** Records a member's current assignment (replacing what it owned before). */
  setCurrent(m: ConsumerMember, state: MemberStateCode, epoch: number, assigned: Assignment, pendingRevocation: Assignment): void {
    this.releaseAll(m);
    if (m.memberEpoch !== epoch) m.previousMemberEpoch = m.memberEpoch;
    m.memberEpoch = epoch;
    m.state = state;
    m.assigned = assigned;
    m.pendingRevocation = pendingRevocation;
    const since = new Map<string, number>();
    for (const a of [assigned, pendingRevocation]) {
      for (const [t, p] of partitionsOf(a)) {
        const key = `${t}:${p}`;
        this.owners.set(key, epoch);
        since.set(key, m.ownedSince.get(key) ?? epoch);
      }
    }
    m.ownedSince = since;
  }

  /** Frees every partition a member owns (it leaves, or its assignment is replaced). */
  releaseAll(m: ConsumerMember): void {
    for (const [t, p] of partitionsOf(m.assigned)) this.owners.delete(`${t}:${p}`);
    for (const [t, p] of partitionsOf(m.pendingRevocation)) this.owners.delete(`${t}:${p}`);
  }

  add(m: ConsumerMember): void {
    this.members.set(m.memberId, m);
    if (m.instanceId !== null) this.staticMembers.set(m.instanceId, m.memberId);
  }

  /** Removes a member, frees its partitions and its target; the caller bumps the group epoch. */
  remove(m: ConsumerMember): void {
    this.releaseAll(m);
    this.members.delete(m.memberId);
    this.target.delete(m.memberId);
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === m.memberId) this.staticMembers.delete(m.instanceId);
    if (m.sessionTimer) clearTimeout(m.sessionTimer);
    if (m.revocationTimer) clearTimeout(m.revocationTimer);
    m.sessionTimer = m.revocationTimer = null;
  }

  /** Members using the classic protocol (0 for a group that never migrated). */
  classicMemberCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.classic !== null) n++;
    return n;
  }

  staticMember(instanceId: string): ConsumerMember | undefined {
    const id = this.staticMembers.get(instanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  stopTimers(): void {
    for (const m of this.members.values()) {
      if (m.sessionTimer) clearTimeout(m.sessionTimer);
      if (m.revocationTimer) clearTimeout(m.revocationTimer);
      m.sessionTimer = m.revocationTimer = null;
    }
  }
}
