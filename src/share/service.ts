/**
 * The share group coordinator and share-partition manager of one broker (KIP-932), in memory:
 * ShareGroupHeartbeat (membership, simple assignment, session timeouts), ShareGroupDescribe; the
 * data path of ShareFetch / ShareAcknowledge (share sessions, acquisition, acknowledgement) is
 * share-data-path.ts, over the share partitions this service holds.
 *
 * Each share partition's state lives on the partition's leader (share-partitions.ts): read through
 * the persister (persister.ts: the share coordinator of its key, here or elsewhere) on first use, and
 * written there before a fetch or acknowledgement is answered; a partition no longer led here is
 * dropped (partitionMoved) and read again if it comes back. Membership is in memory on the group
 * coordinator (the handlers refuse heartbeats elsewhere) and written to the group's
 * __consumer_offsets partition (group-records.ts: epochs, members, assignments, initialised
 * partitions), one append per heartbeat that changed something. A single node reads them all at
 * startup; in a cluster the coordinator follows the partitions' leadership (group-ownership.ts),
 * loading a partition's share groups when it becomes leader and dropping them when it resigns.
 * Loaded members get a fresh session timeout: a consumer carries on with its member id and epoch,
 * and one that never returns expires. See docs/share-groups.md.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { ConfigView } from '../config/view.js';
import type { Partition, PartitionLookup } from '../data/partitions.js';
import type { Logger } from '../logger.js';
import type { TopicConfigs, TopicsPort } from '../metadata/port.js';
import { shareGroupConfigFrom, type ShareGroupConfig } from './config.js';
import { ShareGroup, type ShareMember, type TopicInfo } from './group.js';
import type { SharePartition } from './share-partition.js';
import { SharePartitions } from './share-partitions.js';
import type { SharePersister } from './persister.js';
import { ShareDataPath } from './share-data-path.js';
import type { ShareStateCoordinator } from './state-coordinator.js';
import { DeadLetterWriter } from './dead-letter.js';
import type { RemoteDeadLetterSink } from './remote-dead-letter.js';
import { subscriptionBytes } from '../groups/member-memory.js';
import type { ShareStateAccess } from './admin.js';
import { currentAssignmentRecord, groupEpochRecord, groupTombstones, memberRecord, memberTombstones, statePartitionsRecord, targetEpochRecord, targetMemberRecord, type KeyedRecord, type ShareGroupRecords, type StoredShareGroup } from './group-records.js';
import { coordinatorWriteError } from '../groups/write-errors.js';
import { shareGroupOwnership } from './group-ownership.js';
import type { Leadership } from '../data/leadership.js';
import type { CoordinatorPartitions } from '../data/coordinator-partitions.js';

export type { CommittedView, PartitionAck, PartitionFetch, ShareSession } from './share-data-path.js';

export interface ShareHeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  subscribedTopicNames: string[] | null;
  clientId: string;
  clientHost: string;
}

export interface ShareHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: Array<{ topicId: Buffer; partitions: number[] }> | null;
}

const MAX_ID_LENGTH = 255;
/** An assignment as one comparable string. */
const assignmentKey = (a: ReadonlyMap<string, readonly number[]>): string => [...a].map(([hex, ps]) => `${hex}:${[...ps].sort((x, y) => x - y).join(',')}`).sort().join(';');

const fail = (errorCode: number, errorMessage: string | null = null): ShareHeartbeatResult => ({ errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });

export class ShareGroupService {
  private readonly groups = new Map<string, ShareGroup>();
  /** The share partitions led here (share-partitions.ts). */
  private readonly partitions: SharePartitions;
  /**
   * Groups with share state in __share_group_state at startup (single node). A member of such a
   * group that is not in __consumer_offsets (its records lost or dropped at load) gets
   * UNKNOWN_MEMBER_ID, which clients answer by rejoining with epoch 0; GROUP_ID_NOT_FOUND would be
   * fatal to them (the Java KafkaShareConsumer throws it from poll and stops).
   */
  private readonly persistedGroups = new Set<string>();
  private readonly groupRecords: ShareGroupRecords | null;
  /** In a cluster: the __consumer_offsets partitions whose share groups are loaded here (null on one node). */
  private readonly ownership: CoordinatorPartitions | null;
  readonly deadLetters: DeadLetterWriter;
  /** Share sessions, acquisition and acknowledgement: what ShareFetch / ShareAcknowledge call (share-data-path.ts). */
  readonly data: ShareDataPath;

  constructor(
    private readonly config: ConfigView,
    private readonly topics: TopicsPort,
    private readonly logs: PartitionLookup,
    private readonly log: Logger,
    /** Null: nothing persisted (unit tests). leadership: given in a cluster, where coordinators follow __consumer_offsets leadership. */
    private readonly persistence: { persister: SharePersister; coordinator: ShareStateCoordinator; groupRecords: ShareGroupRecords | null; deadLetterSink?: RemoteDeadLetterSink | null; leadership?: Leadership } | null = null,
    /** A cluster: group coordinators move, so a group unknown here may have moved (UNKNOWN_MEMBER_ID). */
    private readonly clustered = false,
  ) {
    this.groupRecords = persistence?.groupRecords ?? null;
    const records = this.groupRecords;
    this.ownership =
      clustered && records && persistence?.leadership
        ? shareGroupOwnership(records, persistence.leadership, log, {
            install: (stored) => this.install(stored),
            unload: (partition) => {
              for (const groupId of [...this.groups.keys()]) if (records.partitionFor(groupId) === partition) this.unloadGroup(groupId);
            },
          })
        : null;
    this.deadLetters = new DeadLetterWriter(config, topics, logs, log, (g) => this.groupConfigsOf(g), persistence?.deadLetterSink ?? null);
    this.partitions = new SharePartitions(persistence?.persister ?? null, logs, this.deadLetters, (g) => this.settingsFor(g).deliveryCountLimit, log, () => ({
      initialMs: config.int('runnel.group.share.dead.letter.retry.backoff.ms'),
      maxMs: config.int('runnel.group.share.dead.letter.retry.backoff.max.ms'),
    }));
    this.data = new ShareDataPath({ topics, logs, partitions: this.partitions, clustered, settingsFor: (g) => this.settingsFor(g), markInitialized: (g, t, id, p) => this.markInitialized(g, t, id, p) });
    const host = topics as Partial<Pick<TopicConfigs, 'groupConfigs'>>;
    if (typeof host.groupConfigs === 'function') this.groupConfigsOf = (g) => host.groupConfigs!(g);
  }

  /** The share coordinator of this broker (ReadShareGroupState / WriteShareGroupState); null without persistence. */
  get stateCoordinator(): ShareStateCoordinator | null {
    return this.persistence?.coordinator ?? null;
  }

  /** Loads the __share_group_state partitions led here (before the broker serves requests). */
  async start(): Promise<void> {
    await this.persistence?.coordinator.start();
    if (this.clustered) {
      if (this.ownership && this.groupRecords) await this.ownership.start(this.groupRecords.partitionCount());
      return;
    }
    for (const groupId of this.persistence?.coordinator.groupIds() ?? []) this.persistedGroups.add(groupId);
    this.install((await this.groupRecords?.load()) ?? new Map());
    this.log.info({ shareGroups: this.groups.size, groupsWithState: this.persistedGroups.size }, 'share groups loaded');
  }

  /**
   * Why this broker cannot coordinate `groupId`'s share group now (a cluster: its
   * __consumer_offsets partition still loading here, or not led here), or NONE.
   */
  ownershipRefusal(groupId: string): number {
    if (!this.ownership || !this.groupRecords) return ErrorCode.NONE;
    return this.ownership.error(this.groupRecords.partitionFor(groupId));
  }

  /**
   * Installs loaded share groups (synchronously). Groups already in memory stay (they are newer).
   * What is kept is bounded as for live groups: runnel.group.share.max.groups groups,
   * group.share.max.size members a group, and members' subscriptions within
   * runnel.group.members.max.bytes (with those of share members already here). A member left out
   * is tombstoned; if it comes back it gets UNKNOWN_MEMBER_ID and rejoins.
   */
  private install(stored: ReadonlyMap<string, StoredShareGroup>): void {
    const budget = this.config.int('runnel.group.members.max.bytes');
    let bytes = this.memberBytes();
    let groups = 0;
    let members = 0;
    const dropped: Array<[string, string]> = [];
    for (const [groupId, g] of stored) {
      if (this.groups.has(groupId)) continue;
      const cfg = this.settingsFor(groupId);
      if (this.groups.size >= cfg.maxGroups) {
        this.log.warn({ groupId, limit: cfg.maxGroups }, 'share group not loaded: runnel.group.share.max.groups reached');
        continue;
      }
      const group = new ShareGroup(groupId);
      group.groupEpoch = g.epoch;
      group.assignmentEpoch = g.assignmentEpoch > 0 ? Math.min(g.assignmentEpoch, g.epoch) : g.epoch;
      for (const [hex, t] of g.initialized) group.initialized.set(hex, t);
      for (const [memberId, sm] of g.members) {
        const md = sm.metadata;
        if (md === null) continue;
        const size = subscriptionBytes(md.subscribedTopicNames);
        if (group.members.size >= cfg.maxSize || bytes + size > budget) {
          dropped.push([groupId, memberId]);
          continue;
        }
        bytes += size;
        const m: ShareMember = { memberId, memberEpoch: sm.memberEpoch, previousMemberEpoch: sm.previousMemberEpoch, rackId: md.rackId, clientId: md.clientId, clientHost: md.clientHost, subscribedTopicNames: [...md.subscribedTopicNames].sort(), assignment: new Map(sm.target), sentEpoch: sm.memberEpoch, sessionTimer: null };
        group.members.set(memberId, m);
        // Kafka restarts the session timers of loaded members: those that never return expire.
        this.touch(group, m, cfg.sessionTimeoutMs);
        members++;
      }
      this.adoptMetadata(group);
      this.groups.set(groupId, group);
      groups++;
    }
    if (dropped.length > 0) {
      this.log.warn({ members: dropped.length }, 'share group members not loaded: group.share.max.size or runnel.group.members.max.bytes reached');
      for (const [groupId, memberId] of dropped) void this.persistRecords(groupId, memberTombstones(groupId, memberId)).catch(() => {});
    }
    if (groups > 0) this.log.info({ shareGroups: groups, members }, 'share groups loaded from __consumer_offsets');
  }

  /**
   * A share session added these partitions: a copy held here is checked against its share
   * coordinator's state epoch (share-partitions.ts revalidate), concurrently.
   */
  async revalidate(groupId: string, added: ReadonlyArray<{ topicId: Buffer; partition: number }>): Promise<void> {
    if (added.length === 0 || this.persistence === null) return;
    await Promise.all(added.map((a) => this.partitions.revalidate(groupId, a.topicId, a.partition)));
  }

  /** This broker no longer leads `topic`-`partition` (share-partitions.ts). */
  partitionMoved(topicId: Buffer, partition: number): void {
    this.partitions.partitionMoved(topicId, partition);
  }

  /** Records archived (rejected or at the delivery limit), for metrics. */
  get archivedRecords(): number {
    return this.partitions.archivedRecords;
  }

  /** In-flight counts per partition of a group, for describe/tests. */
  inFlight(groupId: string): ReturnType<SharePartitions['inFlight']> {
    return this.partitions.inFlight(groupId);
  }

  /** The group coordinator moved away: the group's membership here is stale and goes. */
  unloadGroup(groupId: string): void {
    const group = this.groups.get(groupId);
    if (!group) return;
    for (const m of group.members.values()) if (m.sessionTimer) clearTimeout(m.sessionTimer);
    this.groups.delete(groupId);
  }

  /** A group's config overrides (GROUP config resources, kept by the metadata store). */
  groupConfigsOf: (groupId: string) => ReadonlyMap<string, string> | undefined = () => undefined;

  /** The broker-wide settings (no group's overrides). */
  get settings(): ShareGroupConfig {
    return shareGroupConfigFrom(this.config);
  }

  /** One group's settings: its GROUP configs over the broker's. */
  settingsFor(groupId: string): ShareGroupConfig {
    return shareGroupConfigFrom(this.config, this.groupConfigsOf(groupId));
  }

  // ---- membership ---------------------------------------------------------------------------

  /**
   * One heartbeat. What it changed (membership, subscription, assignment, the member's epoch) is
   * written to __consumer_offsets as one append before the answer (as Kafka's coordinator does);
   * a heartbeat that changed nothing writes nothing. If the write fails the member gets the
   * coordinator error (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR ...) and retries; the change
   * stays in memory (Kafka reverts it), so the retry is answered from it and a later change writes
   * the then-current records.
   */
  heartbeat(req: ShareHeartbeatRequest): ShareHeartbeatResult | Promise<ShareHeartbeatResult> {
    const records: KeyedRecord[] = [];
    const r = this.applyHeartbeat(req, records);
    if (records.length === 0 || r.errorCode !== ErrorCode.NONE) return r;
    return this.persistRecords(req.groupId, records).then(
      () => r,
      (err: unknown) => {
        const code = coordinatorWriteError(err);
        this.log.warn({ groupId: req.groupId, memberId: req.memberId, errorCode: code, err: (err as Error).message }, 'writing share group records failed');
        return fail(code);
      },
    );
  }

  private applyHeartbeat(req: ShareHeartbeatRequest, records: KeyedRecord[]): ShareHeartbeatResult {
    const cfg = this.settingsFor(req.groupId);
    if (req.groupId === '') return fail(ErrorCode.INVALID_REQUEST, 'GroupId can not be empty.');
    if (req.memberId === '' || req.memberId.length > MAX_ID_LENGTH) return fail(ErrorCode.INVALID_REQUEST); // Kafka: no message
    if (req.rackId !== null && req.rackId.length > MAX_ID_LENGTH) return fail(ErrorCode.INVALID_REQUEST, 'RackId is too long.');
    if (req.memberEpoch < -1) return fail(ErrorCode.INVALID_REQUEST, `MemberEpoch is invalid.`);
    if (req.memberEpoch === 0 && (req.subscribedTopicNames === null || req.subscribedTopicNames.length === 0)) {
      return fail(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set in first request.');
    }
    if (req.subscribedTopicNames !== null && req.subscribedTopicNames.length > 10000) return fail(ErrorCode.INVALID_REQUEST, 'Too many subscribed topics.');
    let group = this.groups.get(req.groupId);
    if (!group && req.memberEpoch !== 0) {
      // A group known only by its share state (its __consumer_offsets records lost or not loaded)
      // or, in a cluster, one that may have moved: the member is unknown here, and rejoins.
      const mayExist = this.persistedGroups.has(req.groupId) || (this.clustered && req.memberEpoch > 0);
      if (mayExist) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} not found.`);
    }
    if (req.memberEpoch === -1) {
      const m = group?.members.get(req.memberId);
      if (!group || !m) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      records.push(...this.removeMember(group, m, false));
      return { errorCode: 0, errorMessage: null, memberId: req.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
    }
    let m = group?.members.get(req.memberId);
    if (req.memberEpoch > 0) {
      if (!group || !m) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      // Kafka accepts the previous epoch too: the answer that carried the current one may be lost.
      if (req.memberEpoch !== m.memberEpoch && req.memberEpoch !== m.sentEpoch && req.memberEpoch !== m.previousMemberEpoch) {
        return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The share group member has a smaller member epoch (${req.memberEpoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`);
      }
    }
    if (!group) {
      if (this.groups.size >= cfg.maxGroups) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group limit (runnel.group.share.max.groups = ${cfg.maxGroups}) is reached.`);
      this.groups.set(req.groupId, (group = new ShareGroup(req.groupId)));
    }
    let changed = false;
    let memberChanged = false;
    if (!m) {
      if (group.members.size >= cfg.maxSize) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group has reached its maximum capacity of ${cfg.maxSize} members.`);
      m = { memberId: req.memberId, memberEpoch: 0, previousMemberEpoch: -1, rackId: null, clientId: req.clientId, clientHost: req.clientHost, subscribedTopicNames: [], assignment: new Map(), sentEpoch: -1, sessionTimer: null };
      group.members.set(m.memberId, m);
      changed = memberChanged = true;
    }
    if (req.rackId !== null && req.rackId !== m.rackId) {
      m.rackId = req.rackId;
      memberChanged = true;
    }
    if (req.subscribedTopicNames !== null) {
      const names = [...new Set(req.subscribedTopicNames)].sort();
      if (names.join('\u0000') !== m.subscribedTopicNames.join('\u0000')) {
        m.subscribedTopicNames = names;
        changed = memberChanged = true;
      }
    }
    const topics = this.subscribedTopicInfo(group);
    const key = this.metadataKeyOf(topics);
    if (key !== group.metadataKey) {
      group.metadataKey = key;
      changed = true;
    }
    if (memberChanged) records.push(memberRecord(group.groupId, m));
    if (changed) {
      group.groupEpoch++;
      records.push(groupEpochRecord(group.groupId, group.groupEpoch), ...this.reassign(group, topics));
    }
    this.touch(group, m, cfg.sessionTimeoutMs);
    let assignment: ShareHeartbeatResult['assignment'] = null;
    const sendAssignment = () => [...m.assignment].map(([hex, ps]) => ({ topicId: Buffer.from(hex, 'hex'), partitions: [...ps].sort((a, b) => a - b) }));
    if (m.sentEpoch !== group.assignmentEpoch) {
      m.previousMemberEpoch = m.memberEpoch;
      m.memberEpoch = group.assignmentEpoch;
      m.sentEpoch = group.assignmentEpoch;
      assignment = sendAssignment();
      records.push(currentAssignmentRecord(group.groupId, m.memberId, m.memberEpoch, m.previousMemberEpoch, m.assignment));
    } else if (req.memberEpoch > 0 && req.memberEpoch !== m.memberEpoch) {
      assignment = sendAssignment(); // it missed the answer with its epoch: the assignment again
    }
    return { errorCode: 0, errorMessage: null, memberId: m.memberId, memberEpoch: m.memberEpoch, heartbeatIntervalMs: cfg.heartbeatIntervalMs, assignment };
  }

  describe(groupId: string): { group: ShareGroup; topicName: (hex: string) => string } | null {
    const group = this.groups.get(groupId);
    if (!group) return null;
    return { group, topicName: (hex) => this.topics.byId(Buffer.from(hex, 'hex'))?.name ?? '' };
  }

  /** What the members of every share group keep (runnel.group.members.max.bytes counts it). */
  memberBytes(): number {
    let n = 0;
    for (const g of this.groups.values()) for (const m of g.members.values()) n += subscriptionBytes(m.subscribedTopicNames);
    return n;
  }

  listGroups(): Array<{ groupId: string; state: string }> {
    return [...this.groups.values()].map((g) => ({ groupId: g.groupId, state: g.stateName }));
  }

  /**
   * A loaded group takes the subscribed topics' metadata of now as its own when the stored target
   * assignment is what the assignor gives for it: members carry on at their epochs. Otherwise (a
   * topic grew or went while the group was not loaded) the key stays unset, so the next heartbeat
   * bumps the group epoch and assigns anew.
   */
  private adoptMetadata(group: ShareGroup): void {
    const topics = this.subscribedTopicInfo(group);
    const stored = new Map([...group.members].map(([id, m]) => [id, m.assignment]));
    const epoch = group.assignmentEpoch;
    group.assign(topics);
    group.assignmentEpoch = epoch;
    const same = [...group.members].every(([id, m]) => assignmentKey(m.assignment) === assignmentKey(stored.get(id)!));
    if (same) group.metadataKey = this.metadataKeyOf(topics);
    else for (const [id, m] of group.members) m.assignment = stored.get(id)!;
  }

  /** The subscribed topics' (name, id, partition count): a change of it bumps the group epoch. */
  private metadataKeyOf(topics: ReadonlyMap<string, TopicInfo>): string {
    return [...topics.values()].map((t) => `${t.name}/${t.id.toString('hex')}/${t.partitions}`).join(',');
  }

  /**
   * Recomputes the target assignment at the group epoch; returns the records of what changed:
   * each member whose partitions moved (13) and the assignment epoch (12).
   */
  private reassign(group: ShareGroup, topics: ReadonlyMap<string, TopicInfo>): KeyedRecord[] {
    const before = new Map<string, string>();
    for (const m of group.members.values()) before.set(m.memberId, assignmentKey(m.assignment));
    group.assign(topics);
    const out: KeyedRecord[] = [];
    for (const m of group.members.values()) if (before.get(m.memberId) !== assignmentKey(m.assignment)) out.push(targetMemberRecord(group.groupId, m.memberId, m.assignment));
    out.push(targetEpochRecord(group.groupId, group.assignmentEpoch));
    // Assigned partitions join the type 15 record (Kafka's coordinator initialises them here), so
    // DeleteGroups finds their state also when it is kept on another broker.
    if (group.noteAssigned(topics)) out.push(statePartitionsRecord(group.groupId, group.initialized));
    return out;
  }

  private subscribedTopicInfo(group: ShareGroup): Map<string, TopicInfo> {
    const out = new Map<string, TopicInfo>();
    for (const name of [...group.subscribedTopics()].sort()) {
      const t = this.topics.get(name);
      if (t && !t.internal) out.set(name, { name, id: t.id, partitions: t.partitions });
    }
    return out;
  }

  private touch(group: ShareGroup, m: ShareMember, timeoutMs: number): void {
    if (m.sessionTimer) clearTimeout(m.sessionTimer);
    m.sessionTimer = setTimeout(() => {
      if (group.members.get(m.memberId) !== m) return;
      this.log.info({ groupId: group.groupId, memberId: m.memberId }, 'share group member session expired');
      this.removeMember(group, m, true);
    }, timeoutMs);
    m.sessionTimer.unref();
  }

  /**
   * Removes a member (leaving, or its session expired): a new group epoch and assignment. Returns
   * the records saying so (its tombstones, the epoch, the changed targets); `write`: written here
   * (an expiry: nobody waits for it), else the caller writes them (a leave heartbeat).
   */
  private removeMember(group: ShareGroup, m: ShareMember, write: boolean): KeyedRecord[] {
    if (m.sessionTimer) clearTimeout(m.sessionTimer);
    group.members.delete(m.memberId);
    group.groupEpoch++;
    const topics = this.subscribedTopicInfo(group);
    group.metadataKey = this.metadataKeyOf(topics);
    const records = [...memberTombstones(group.groupId, m.memberId), groupEpochRecord(group.groupId, group.groupEpoch), ...this.reassign(group, topics)];
    // Its share sessions and locks stay, as in Kafka 4.4: a partition leader does not follow
    // membership; they end with the session, its connection, or the lock duration.
    if (write) void this.persistRecords(group.groupId, records).catch((err: unknown) => this.log.warn({ groupId: group.groupId, memberId: m.memberId, err: (err as Error).message }, 'writing a removed share group member failed'));
    return records;
  }

  /** Prometheus series (admin endpoint /metrics). */
  render(w: import('../admin-http/prometheus-text.js').PrometheusText): void {
    w.family('runnel_share_groups', 'gauge', 'Share groups (KIP-932) known to this broker.');
    w.sample('runnel_share_groups', this.groups.size);
    w.family('runnel_share_archived_records_total', 'counter', 'Share-group records archived: rejected, or released/timed out at group.share.delivery.count.limit.');
    w.sample('runnel_share_archived_records_total', this.archivedRecords);
    w.family('runnel_share_dead_lettered_records_total', 'counter', 'Archived share-group records copied to a dead-letter topic (KIP-1191).');
    w.sample('runnel_share_dead_lettered_records_total', this.deadLetters.written);
  }

  /** What share/admin.ts works on (the offsets APIs 90-92 and DeleteGroups). */
  get admin(): ShareStateAccess {
    return {
      groups: this.groups,
      partitions: this.partitions.held,
      stored: (groupId, topicId, partition) => this.persistence?.coordinator.held(groupId, topicId, partition) ?? null,
      storedKeys: (groupId) => this.persistence?.coordinator.keysOf(groupId) ?? [],
      summary: (groupId, topicId, partition) => this.persistence?.persister.summary(groupId, topicId, partition) ?? Promise.resolve(null),
      topics: this.topics,
      logs: this.logs,
      replaceState: (g, t, id, p, state) => this.partitions.replaceState(g, t, id, p, state),
      emptyGroup: (groupId) => {
        let group = this.groups.get(groupId);
        if (!group && this.groups.size < this.settings.maxGroups) this.groups.set(groupId, (group = new ShareGroup(groupId)));
        return group ?? null;
      },
      initialized: (groupId, topic, topicId, partition, yes) => {
        const group = this.groups.get(groupId);
        if (!group) return Promise.resolve();
        const hex = topicId.toString('hex');
        if (yes) {
          let t = group.initialized.get(hex);
          if (!t) group.initialized.set(hex, (t = { name: topic, partitions: new Set() }));
          t.partitions.add(partition);
        } else {
          group.initialized.get(hex)?.partitions.delete(partition);
          if (group.initialized.get(hex)?.partitions.size === 0) group.initialized.delete(hex);
        }
        return this.persistGroup(group);
      },
      forgetGroup: async (groupId) => {
        const group = this.groups.get(groupId);
        this.groups.delete(groupId);
        this.persistedGroups.delete(groupId);
        if (group) for (const m of group.members.values()) if (m.sessionTimer) clearTimeout(m.sessionTimer);
        await group?.persistChain;
        // Tombstones: the group is gone, also after a restart, a coordinator move and compaction.
        const records = this.groupRecords;
        if (!records?.exists()) return;
        const tombstones = [...[...(group?.members.keys() ?? [])].flatMap((id) => memberTombstones(groupId, id)), ...groupTombstones(groupId)];
        await this.withTimeout(records.append(groupId, tombstones));
      },
    };
  }

  /** Writes the group's epoch and initialised partitions (11, 15) to __consumer_offsets. */
  private persistGroup(group: ShareGroup): Promise<void> {
    return this.persistRecords(group.groupId, [groupEpochRecord(group.groupId, group.groupEpoch), statePartitionsRecord(group.groupId, group.initialized)]);
  }

  /**
   * Appends a group's records to its __consumer_offsets partition, after the group's earlier
   * writes (one chain a group: the log keeps them in that order). Rejects NOT_COORDINATOR when the
   * partition is not coordinated here (a cluster), REQUEST_TIMED_OUT after offsets.commit.timeout.ms.
   */
  private persistRecords(groupId: string, records: readonly KeyedRecord[]): Promise<void> {
    const log = this.groupRecords;
    if (!log || records.length === 0) return Promise.resolve();
    const group = this.groups.get(groupId);
    const write = async () => {
      if (this.ownership && !this.ownership.owns(log.partitionFor(groupId))) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `__consumer_offsets-${log.partitionFor(groupId)} is not coordinated here`);
      await this.withTimeout(log.append(groupId, records));
    };
    const p = (group?.persistChain ?? Promise.resolve()).then(write);
    if (group) group.persistChain = p.catch((err: unknown) => this.log.error({ err: (err as Error).message, groupId }, 'share group record write failed'));
    return p;
  }

  /** A write waits at most offsets.commit.timeout.ms (a cluster's acks=all may not come). */
  private async withTimeout(write: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'share group records write timed out')), this.config.int('offsets.commit.timeout.ms'));
    });
    try {
      await Promise.race([write, timeout]);
    } finally {
      if (timer) clearTimeout(timer);
      write.catch(() => undefined);
    }
  }

  /** A share partition of the group got state: the group's initialised partitions say so. */
  private markInitialized(groupId: string, topic: string, topicId: Buffer, partition: number): void {
    const group = this.groups.get(groupId);
    if (!group) return;
    const hex = topicId.toString('hex');
    let t = group.initialized.get(hex);
    if (!t) group.initialized.set(hex, (t = { name: topic, partitions: new Set() }));
    if (t.partitions.has(partition)) return;
    t.partitions.add(partition);
    void this.persistGroup(group).catch(() => {});
  }

  hasGroup(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  shutdown(): void {
    this.ownership?.stop();
    for (const g of this.groups.values()) for (const m of g.members.values()) if (m.sessionTimer) clearTimeout(m.sessionTimer);
    this.partitions.close();
  }
}
