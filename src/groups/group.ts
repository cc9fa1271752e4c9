/**
 * One group's state, without timers or I/O (the coordinator drives those): the classic protocol's
 * state, generation, members and their protocols, and the group's committed offsets.
 *
 * States and their transitions, as Kafka's GroupMetadata:
 *   Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
 *   CompletingRebalance ──leader's SyncGroup stored──▶ Stable
 *   Stable / CompletingRebalance ──join, leave, expiry──▶ PreparingRebalance
 *   PreparingRebalance ──nobody left──▶ Empty;   Empty ──deleted / expired──▶ Dead
 */
import { CONSUMER_PROTOCOL_TYPE, subscriptionTopics } from '../../protocol/consumer-protocol.js';
import type { ConsumerGroupState } from './consumer/group.js';
import type { JoinMember, JoinResult, Member, Protocol, SyncResult } from './member.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** -1: none (the group's retention applies). */
  expireTimestamp: number;
}

/** Commits of one partition written but not yet durable; replaced when the offsets are deleted meanwhile. */
export interface PendingCommits {
  count: number;
}

export class Group {
  state: GroupState = 'Empty';
  currentStateTimestamp: number;
  generationId = 0;
  /** null: never joined (a "simple" group that only stores offsets). */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED (JoinGroup v4+), not yet joined: id → expiry timer. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout | null>();
  /** Members of this generation that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  numAwaitingJoin = 0;
  /** protocol name → how many members support it. */
  private readonly supportedProtocols = new Map<string, number>();
  /** A member joined during the initial delay: the delay may be extended (Kafka's InitialDelayedJoin). */
  newMemberAdded = false;
  joinTimer: NodeJS.Timeout | null = null;
  /** 'initial': first rebalance of an empty group (no early completion); 'delayed': until all rejoined. */
  joinKind: 'initial' | 'delayed' = 'delayed';
  initialDelayRemainingMs = 0;
  syncTimer: NodeJS.Timeout | null = null;
  /** Topics the members subscribe to (consumer protocol), null when unknown. */
  subscribedTopics: Set<string> | null = null;
  /**
   * Set when this is a consumer group of the KIP-848 protocol (ConsumerGroupHeartbeat): its members
   * and assignments live there, and the classic state above stays Empty. The offsets below serve both.
   */
  consumer: ConsumerGroupState | null = null;

  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /** `${topic}\u0000${partition}` → commits in flight. */
  readonly pendingCommits = new Map<string, PendingCommits>();
  /**
   * TxnOffsetCommit offsets of open transactions: producer id → `${topic}\u0000${partition}` →
   * offset. Applied when the transaction's COMMIT marker is written, dropped on ABORT.
   */
  readonly pendingTxnOffsets = new Map<number, Map<string, { topic: string; partition: number; value: CommittedOffset }>>();

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.currentStateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    this.state = state;
    this.currentStateTimestamp = now;
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /** A static member id that does not match the one registered for its instance id. */
  isStaticMemberFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  add(member: Member, joinCallback: ((r: JoinResult) => void) | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    this.countProtocols(member.protocols, 1);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    member.awaitingJoin = joinCallback;
    if (joinCallback) this.numAwaitingJoin++;
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    this.countProtocols(member.protocols, -1);
    if (member.awaitingJoin) this.numAwaitingJoin--;
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) this.staticMembers.delete(member.groupInstanceId);
    this.pendingSync.delete(memberId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  /** A static member rejoined with a new member id: the same member (and assignment) under the new id. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): Member {
    const member = this.members.get(oldMemberId)!;
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    if (this.pendingSync.delete(oldMemberId)) this.pendingSync.add(newMemberId);
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  /** New protocols/timeouts from a JoinGroup of an existing member, which now awaits the rebalance. */
  updateMember(member: Member, protocols: Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, joinCallback: ((r: JoinResult) => void) | null): void {
    this.countProtocols(member.protocols, -1);
    this.countProtocols(protocols, 1);
    member.protocols = protocols;
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (joinCallback && !member.awaitingJoin) this.numAwaitingJoin++;
    else if (!joinCallback && member.awaitingJoin) this.numAwaitingJoin--;
    member.awaitingJoin = joinCallback;
  }

  invokeJoin(member: Member, result: JoinResult): void {
    const cb = member.awaitingJoin;
    if (!cb) return;
    member.awaitingJoin = null;
    this.numAwaitingJoin--;
    cb(result);
  }

  invokeSync(member: Member, result: SyncResult): void {
    const cb = member.awaitingSync;
    if (!cb) return;
    member.awaitingSync = null;
    cb(result);
  }

  /** Every known member rejoined and no MEMBER_ID_REQUIRED member is still on its way back. */
  hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingMembers.size === 0;
  }

  /** The largest rebalance timeout of the members: how long a rebalance may wait for them. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) if (m.rebalanceTimeoutMs > max) max = m.rebalanceTimeoutMs;
    return max;
  }

  /** If the leader did not rejoin, hand leadership to a member that did; false when nobody did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.awaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /**
   * Adds (+1) or removes (-1) one member's votes for its protocols. A name the member lists twice
   * counts once (Kafka keeps a member's protocols by name): counted twice, it could never equal
   * the member count, no protocol would be common, and the rebalance would never complete.
   */
  private countProtocols(protocols: readonly Protocol[], delta: 1 | -1): void {
    for (const name of new Set(protocols.map((p) => p.name))) this.supportedProtocols.set(name, (this.supportedProtocols.get(name) ?? 0) + delta);
  }

  candidateProtocols(): Set<string> {
    const n = this.members.size;
    const out = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === n) out.add(name);
    return out;
  }

  /**
   * Whether a member with this protocol type and these protocols may join: an empty group takes
   * anything non-empty; otherwise the type must match and one protocol must be supported by all.
   */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.is('Empty')) return protocolType.length > 0 && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const n = this.members.size;
    return protocols.some((p) => (this.supportedProtocols.get(p.name) ?? 0) === n);
  }

  /**
   * The protocol every member supports that most members prefer (each member votes for its first
   * candidate). Ties go to the protocol voted for first in member order, so the choice is stable.
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      if (v !== null) votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    if (best === null) throw new Error(`no protocol supported by every member of group ${this.groupId}`);
    return best;
  }

  /** Members with their metadata for the selected protocol (the leader's JoinGroup response). */
  currentMemberMetadata(): JoinMember[] {
    const protocol = this.protocolName ?? '';
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) }));
  }

  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', now);
    }
    this.subscribedTopics = this.computeSubscribedTopics();
    this.pendingSync.clear();
  }

  /** Union of the members' subscribed topics for consumer groups; null when it cannot be known. */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null) return this.members.size === 0 ? new Set() : null;
    const out = new Set<string>();
    for (const m of this.members.values()) {
      const topics = subscriptionTopics(m.metadataFor(this.protocolName));
      if (topics === null) return null;
      for (const t of topics) out.add(t);
    }
    return out;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics?.has(topic) ?? false;
  }

  // ---------------------------------------------------------------------------------------------
  // Offsets

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, value: CommittedOffset): void {
    let byPartition = this.offsets.get(topic);
    if (!byPartition) this.offsets.set(topic, (byPartition = new Map()));
    byPartition.set(partition, value);
  }

  /** Removes a committed offset and forgets commits in flight for it (they will not be applied). */
  removeOffset(topic: string, partition: number): boolean {
    this.pendingCommits.delete(pendingKey(topic, partition));
    const byPartition = this.offsets.get(topic);
    if (!byPartition) return false;
    const removed = byPartition.delete(partition);
    if (byPartition.size === 0) this.offsets.delete(topic);
    return removed;
  }

  hasPendingCommit(topic: string, partition: number): boolean {
    const key = pendingKey(topic, partition);
    if (this.pendingCommits.has(key)) return true;
    if (this.pendingTxnOffsets.size > 0) for (const m of this.pendingTxnOffsets.values()) if (m.has(key)) return true;
    return false;
  }

  hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingCommits.size > 0 || this.pendingTxnOffsets.size > 0;
  }

  *allOffsets(): Generator<[string, number, CommittedOffset]> {
    for (const [topic, byPartition] of this.offsets) for (const [p, o] of byPartition) yield [topic, p, o];
  }

  /**
   * Offsets that expired at `now` (Kafka's removeExpiredOffsets): for an empty group, retention
   * counts from when it became empty; for a stable consumer group, from each commit, and only for
   * topics it no longer subscribes to; for a group that never used group management, from each
   * commit. An explicit expire timestamp (OffsetCommit v2-v4 retention time) wins. Commits in
   * flight never expire.
   */
  expiredOffsets(now: number, retentionMs: number): Array<[string, number]> {
    // A consumer group (KIP-848) keeps its offsets while it has members.
    if (this.consumer !== null && this.consumer.size > 0) return [];
    let base: ((o: CommittedOffset) => number) | null = null;
    let subscribed: Set<string> | null = null;
    if (this.protocolType !== null && this.protocolType !== '' && this.is('Empty')) {
      base = (o) => (this.currentStateTimestamp >= 0 ? this.currentStateTimestamp : o.commitTimestamp);
    } else if (this.protocolType === CONSUMER_PROTOCOL_TYPE && this.subscribedTopics !== null && this.is('Stable')) {
      base = (o) => o.commitTimestamp;
      subscribed = this.subscribedTopics;
    } else if (this.protocolType === null || this.protocolType === '') {
      base = (o) => o.commitTimestamp;
    }
    if (base === null) return [];
    const out: Array<[string, number]> = [];
    for (const [topic, p, o] of this.allOffsets()) {
      if (subscribed?.has(topic) || this.hasPendingCommit(topic, p)) continue;
      const expired = o.expireTimestamp >= 0 ? now >= o.expireTimestamp : now - base(o) >= retentionMs;
      if (expired) out.push([topic, p]);
    }
    return out;
  }
}

export function pendingKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
