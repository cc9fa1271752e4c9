/**
 * The share group coordinator and share-partition manager of one broker (KIP-932), in memory:
 * ShareGroupHeartbeat (membership, simple assignment, session timeouts), ShareGroupDescribe, and
 * ShareFetch / ShareAcknowledge (share sessions, acquisition, acknowledgement, lock release when a
 * member leaves, times out or closes its share session).
 *
 * Each share partition's state lives on the partition's leader (share-partitions.ts): read through
 * the persister (persister.ts: the share coordinator of its key, here or elsewhere) on first use, and
 * written there before a fetch or acknowledgement is answered; a partition no longer led here is
 * dropped (partitionMoved) and read again if it comes back. Membership is in memory on the group
 * coordinator (the handlers refuse heartbeats elsewhere); in a cluster a member whose group this
 * coordinator does not know (it moved here) is told UNKNOWN_MEMBER_ID and rejoins. On a single
 * node the group's epoch and initialised partitions are also kept in __consumer_offsets
 * (group-records.ts), so a group outlives a restart. See docs/share-groups.md.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { ConfigView } from '../config/view.js';
import type { Partition, PartitionLookup } from '../data/partitions.js';
import type { Logger } from '../logger.js';
import type { TopicConfigs, TopicsPort } from '../metadata/port.js';
import { shareGroupConfigFrom, type ShareGroupConfig, type ShareOffsetReset } from './config.js';
import { ShareGroup, type ShareMember, type TopicInfo } from './group.js';
import { InvalidRecordState, UnknownRecords, type AcquiredRange } from './partition-state.js';
import type { SharePartition } from './share-partition.js';
import { SharePartitions } from './share-partitions.js';
import type { SharePersister } from './persister.js';
import { StateWrites } from './state-writes.js';
import type { ShareStateCoordinator } from './state-coordinator.js';
import { DeadLetterWriter } from './dead-letter.js';
import type { RemoteDeadLetterSink } from './remote-dead-letter.js';
import { subscriptionBytes } from '../groups/member-memory.js';
import type { ShareStateAccess } from './admin.js';
import type { ShareGroupRecords } from './group-records.js';

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

export interface ShareSession {
  groupId: string;
  memberId: string;
  /** The epoch the next request must carry. */
  epoch: number;
  /** `${topicIdHex}:${partition}` → topic id and partition. */
  partitions: Map<string, { topicId: Buffer; partition: number }>;
  /** Where the next fetch starts in `partitions` (modulo its size): one further on each fetch. */
  rotation: number;
}

export interface PartitionAck {
  firstOffset: number;
  lastOffset: number;
  acknowledgeTypes: number[];
}

export interface PartitionFetch {
  records: Buffer | null;
  acquired: AcquiredRange[];
  errorCode: number;
}

const MAX_ID_LENGTH = 255;
/** What a read_committed share fetch may acquire of a partition (handler 78 builds it). */
export interface CommittedView {
  /** The last stable offset. */
  end: number;
  /** Whether a stored transactional batch belongs to an aborted transaction. */
  aborted: (batch: Buffer) => boolean;
}

/** A share partition's first start offset: share.auto.offset.reset (by_duration: the first record at or after now - duration). */
async function startOffset(log: Partition, reset: ShareOffsetReset): Promise<number> {
  if (reset === 'earliest') return log.logStartOffset;
  if (reset === 'latest') return log.highWatermark;
  const found = await log.fetchOffsetForTimestamp(Date.now() - reset.byDurationMs, -1, null);
  return found ? found.offset : log.highWatermark;
}

const fail = (errorCode: number, errorMessage: string | null = null): ShareHeartbeatResult => ({ errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });

export class ShareGroupService {
  private readonly groups = new Map<string, ShareGroup>();
  /** `${groupId}\u0000${memberId}` → share session. */
  private readonly sessions = new Map<string, ShareSession>();
  /** The share partitions led here (share-partitions.ts). */
  private readonly partitions: SharePartitions;
  /**
   * Groups with share state in __share_group_state at startup (single node). Membership is kept
   * in memory only, so after a restart their members heartbeat (epoch > 0) into a group this
   * broker no longer holds: they get UNKNOWN_MEMBER_ID, which clients answer by rejoining with
   * epoch 0, as Kafka's members do after losing their membership; GROUP_ID_NOT_FOUND would be
   * fatal to them (the Java KafkaShareConsumer throws it from poll and stops).
   */
  private readonly persistedGroups = new Set<string>();
  private readonly groupRecords: ShareGroupRecords | null;
  readonly deadLetters: DeadLetterWriter;

  constructor(
    private readonly config: ConfigView,
    private readonly topics: TopicsPort,
    private readonly logs: PartitionLookup,
    private readonly log: Logger,
    /** Null: nothing persisted (unit tests). groupRecords: null in a cluster (not followed across coordinator moves yet). */
    private readonly persistence: { persister: SharePersister; coordinator: ShareStateCoordinator; groupRecords: ShareGroupRecords | null; deadLetterSink?: RemoteDeadLetterSink | null } | null = null,
    /** A cluster: group coordinators move, so a group unknown here may have moved (UNKNOWN_MEMBER_ID). */
    private readonly clustered = false,
  ) {
    this.groupRecords = persistence?.groupRecords ?? null;
    this.deadLetters = new DeadLetterWriter(config, topics, logs, log, (g) => this.groupConfigsOf(g), persistence?.deadLetterSink ?? null);
    this.partitions = new SharePartitions(persistence?.persister ?? null, logs, this.deadLetters, (g) => this.settingsFor(g).deliveryCountLimit, log, () => ({
      initialMs: config.int('runnel.group.share.dead.letter.retry.backoff.ms'),
      maxMs: config.int('runnel.group.share.dead.letter.retry.backoff.max.ms'),
    }));
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
    if (this.clustered) return;
    for (const groupId of this.persistence?.coordinator.groupIds() ?? []) this.persistedGroups.add(groupId);
    for (const [groupId, g] of (await this.groupRecords?.load()) ?? []) {
      const group = new ShareGroup(groupId);
      group.groupEpoch = group.assignmentEpoch = g.epoch;
      for (const [hex, t] of g.initialized) group.initialized.set(hex, t);
      this.groups.set(groupId, group);
    }
    this.log.info({ shareGroups: this.groups.size, groupsWithState: this.persistedGroups.size }, 'share groups loaded');
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

  heartbeat(req: ShareHeartbeatRequest): ShareHeartbeatResult {
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
      // Membership is not persisted: after a restart (a group with stored state) or, in a cluster,
      // a coordinator move the member is unknown here, and rejoins.
      const mayExist = this.persistedGroups.has(req.groupId) || (this.clustered && req.memberEpoch > 0);
      if (mayExist) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} not found.`);
    }
    if (req.memberEpoch === -1) {
      const m = group?.members.get(req.memberId);
      if (!group || !m) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      this.removeMember(group, m);
      return { errorCode: 0, errorMessage: null, memberId: req.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
    }
    let m = group?.members.get(req.memberId);
    if (req.memberEpoch > 0) {
      if (!group || !m) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      if (req.memberEpoch !== m.memberEpoch && req.memberEpoch !== m.sentEpoch) {
        return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The share group member has a smaller member epoch (${req.memberEpoch}) than the one known by the group coordinator (${m.memberEpoch}). The member must abandon all its partitions and rejoin.`);
      }
    }
    if (!group) {
      if (this.groups.size >= cfg.maxGroups) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group limit (runnel.group.share.max.groups = ${cfg.maxGroups}) is reached.`);
      this.groups.set(req.groupId, (group = new ShareGroup(req.groupId)));
    }
    let changed = false;
    if (!m) {
      if (group.members.size >= cfg.maxSize) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group has reached its maximum capacity of ${cfg.maxSize} members.`);
      m = { memberId: req.memberId, memberEpoch: 0, rackId: null, clientId: req.clientId, clientHost: req.clientHost, subscribedTopicNames: [], assignment: new Map(), sentEpoch: -1, sessionTimer: null };
      group.members.set(m.memberId, m);
      changed = true;
    }
    if (req.rackId !== null) m.rackId = req.rackId;
    if (req.subscribedTopicNames !== null) {
      const names = [...new Set(req.subscribedTopicNames)].sort();
      if (names.join('\u0000') !== m.subscribedTopicNames.join('\u0000')) {
        m.subscribedTopicNames = names;
        changed = true;
      }
    }
    const topics = this.subscribedTopicInfo(group);
    const key = [...topics.values()].map((t) => `${t.name}/${t.id.toString('hex')}/${t.partitions}`).join(',');
    if (key !== group.metadataKey) {
      group.metadataKey = key;
      changed = true;
    }
    if (changed) {
      group.groupEpoch++;
      group.assign(topics);
      this.persistGroup(group);
    }
    this.touch(group, m, cfg.sessionTimeoutMs);
    let assignment: ShareHeartbeatResult['assignment'] = null;
    if (m.sentEpoch !== group.assignmentEpoch) {
      m.memberEpoch = group.assignmentEpoch;
      m.sentEpoch = group.assignmentEpoch;
      assignment = [...m.assignment].map(([hex, ps]) => ({ topicId: Buffer.from(hex, 'hex'), partitions: [...ps].sort((a, b) => a - b) }));
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
      this.removeMember(group, m);
    }, timeoutMs);
    m.sessionTimer.unref();
  }

  private removeMember(group: ShareGroup, m: ShareMember): void {
    if (m.sessionTimer) clearTimeout(m.sessionTimer);
    group.members.delete(m.memberId);
    group.groupEpoch++;
    group.assign(this.subscribedTopicInfo(group));
    this.persistGroup(group);
    this.sessions.delete(`${group.groupId}\u0000${m.memberId}`);
    this.releaseMemberLocks(group.groupId, m.memberId);
  }

  private releaseMemberLocks(groupId: string, memberId: string): void {
    this.partitions.releaseMember(groupId, memberId);
  }

  // ---- share sessions -----------------------------------------------------------------------

  /**
   * Checks the share session epoch as Kafka does and returns the session to use: 0 opens a new one
   * (replacing the member's old one), -1 is the last request of the session, anything else must be
   * the next epoch. Returns an error code instead when refused.
   */
  session(groupId: string, memberId: string, epoch: number): ShareSession | number {
    const key = `${groupId}\u0000${memberId}`;
    const existing = this.sessions.get(key);
    if (epoch === 0) {
      if (!existing && this.sessions.size >= this.settings.maxShareSessions) return ErrorCode.SHARE_SESSION_LIMIT_REACHED;
      if (existing) this.releaseMemberLocks(groupId, memberId); // a new session: the old one's locks go
      // Sessions start at different partitions, so members do not all queue on the same one.
      const s: ShareSession = { groupId, memberId, epoch: 1, partitions: new Map(), rotation: Math.floor(Math.random() * 0x10000) };
      this.sessions.set(key, s);
      return s;
    }
    if (!existing) return ErrorCode.SHARE_SESSION_NOT_FOUND;
    if (epoch === -1) return existing;
    if (epoch !== existing.epoch) return ErrorCode.INVALID_SHARE_SESSION_EPOCH;
    existing.epoch = existing.epoch === 0x7fffffff ? 1 : existing.epoch + 1;
    return existing;
  }

  /** The last request of a session (epoch -1): it goes, and so do its member's locks. */
  closeSession(s: ShareSession): void {
    this.sessions.delete(`${s.groupId}\u0000${s.memberId}`);
    this.releaseMemberLocks(s.groupId, s.memberId);
  }

  // ---- acquisition and acknowledgement ------------------------------------------------------

  /**
   * Applies one partition's acknowledgements in memory and adds its share partition to `writes`,
   * which the caller flushes before answering (durable first: an acknowledged record is never
   * delivered again, even after a crash). Returns the error code (INVALID_RECORD_STATE ...).
   */
  async acknowledge(groupId: string, memberId: string, topic: string, topicId: Buffer, partition: number, batches: readonly PartitionAck[], writes: StateWrites<SharePartition>): Promise<{ errorCode: number; sp: SharePartition | null }> {
    const log = this.logs.get(topic, partition);
    if (!log) return { errorCode: this.clustered ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, sp: null };
    if (!log.isLeader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, sp: null };
    let sp: SharePartition;
    try {
      sp = await this.partitions.get(groupId, topic, topicId, partition, log);
    } catch (err) {
      return { errorCode: err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR, sp: null };
    }
    if (sp.state === null) return { errorCode: ErrorCode.INVALID_RECORD_STATE, sp: null };
    const lockMs = this.settingsFor(groupId).recordLockDurationMs;
    let code: number = ErrorCode.NONE;
    for (const b of batches) {
      try {
        sp.acknowledge(b.firstOffset, b.lastOffset, b.acknowledgeTypes, memberId, lockMs);
      } catch (err) {
        if (err instanceof UnknownRecords) code = ErrorCode.INVALID_REQUEST;
        else if (err instanceof InvalidRecordState) code = ErrorCode.INVALID_RECORD_STATE;
        else throw err;
      }
    }
    writes.add(sp);
    return { errorCode: code, sp };
  }

  /**
   * Acquires records for a member from the session's partitions, up to `maxRecords` in all,
   * waiting up to `maxWaitMs` when none is there. Results by `${topicIdHex}:${partition}`.
   *
   * Each pass acquires in memory across the partitions (starting one partition further on than the
   * session's last fetch, so a partition with a backlog cannot take every fetch's budget), then
   * writes every share partition it changed at once, with the request's acknowledgements already
   * in `writes` (one concurrent round, state-writes.ts); only records whose state is durable go out.
   */
  async fetch(s: ShareSession, maxRecords: number, maxBytes: number, maxWaitMs: number, committed: (log: Partition) => Promise<CommittedView>, writes = new StateWrites<SharePartition>()): Promise<Map<string, PartitionFetch>> {
    const cfg = this.settingsFor(s.groupId);
    const out = new Map<string, PartitionFetch>();
    const deadline = Date.now() + Math.min(Math.max(maxWaitMs, 0), cfg.maxWaitMs);
    let budget = Math.max(1, maxRecords);
    let bytes = Math.max(1, maxBytes);
    const entries = [...s.partitions];
    const first = entries.length === 0 ? 0 : s.rotation % entries.length;
    s.rotation = (s.rotation + 1) & 0x3fffffff;
    const order = first === 0 ? entries : [...entries.slice(first), ...entries.slice(0, first)];
    for (;;) {
      const waits: Array<() => void> = [];
      let wake: () => void = () => {};
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const taken: Array<{ key: string; sp: SharePartition; records: Buffer; acquired: AcquiredRange[] }> = [];
      for (const [key, { topicId, partition }] of order) {
        if (budget <= 0 || bytes <= 0) break;
        const topic = this.topics.byId(topicId);
        const log = topic ? this.logs.get(topic.name, partition) : undefined;
        if (!topic || !log || !log.isLeader) {
          const missing = topic ? (this.clustered ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) : ErrorCode.UNKNOWN_TOPIC_ID;
          out.set(key, { records: null, acquired: [], errorCode: log && !log.isLeader ? ErrorCode.NOT_LEADER_OR_FOLLOWER : missing });
          continue;
        }
        try {
          const sp = await this.partitions.get(s.groupId, topic.name, topicId, partition, log);
          if (sp.state === null) {
            this.markInitialized(s.groupId, topic.name, topicId, partition);
            sp.init(log, await startOffset(log, cfg.autoOffsetReset));
          } else sp.init(log, log.highWatermark);
          // share.isolation.level=read_committed: up to the last stable offset, aborted batches archived.
          const view = cfg.readCommitted ? await committed(log) : null;
          const readableEnd = view ? view.end : log.highWatermark;
          const r = await sp.acquire(log, s.memberId, { maxRecords: budget, maxBytes: bytes, maxRecordLocks: cfg.partitionMaxRecordLocks, lockMs: cfg.recordLockDurationMs, deliveryLimit: cfg.deliveryCountLimit, readableEnd, aborted: view?.aborted });
          if (r.count > 0) {
            const records = r.batches.length === 1 ? r.batches[0]! : Buffer.concat(r.batches);
            writes.add(sp);
            taken.push({ key, sp, records, acquired: r.acquired });
            budget -= r.count;
            bytes -= records.length;
          } else if (!out.has(key)) {
            waits.push(sp.onAvailable(wake), log.waitForData(sp.state!.endOffset, wake));
          }
        } catch (err) {
          const code = (err as { code?: number }).code;
          out.set(key, { records: null, acquired: [], errorCode: typeof code === 'number' ? code : ErrorCode.UNKNOWN_SERVER_ERROR });
        }
      }
      // The raised delivery counts are durable before the records go out: a crash cannot hand a
      // record out more than group.share.delivery.count.limit times. A failed write: not handed out.
      const failed = await writes.flush();
      for (const t of taken) {
        const code = failed.get(t.sp);
        out.set(t.key, code === undefined ? { records: t.records, acquired: t.acquired, errorCode: 0 } : { records: null, acquired: [], errorCode: code });
      }
      const got = taken.some((t) => !failed.has(t.sp));
      const left = deadline - Date.now();
      if (got || left <= 0 || waits.length === 0) {
        for (const c of waits) c();
        return out;
      }
      let timer: NodeJS.Timeout | null = null;
      await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      if (timer) clearTimeout(timer);
      for (const c of waits) c();
    }
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
        await group?.persistChain;
        await this.groupRecords?.remove(groupId);
      },
    };
  }

  /**
   * Writes the group's epoch and initialised partitions to __consumer_offsets (group-records.ts),
   * in order; not awaited by heartbeats: a lost write only makes a restart forget a newer epoch.
   */
  private persistGroup(group: ShareGroup): Promise<void> {
    const records = this.groupRecords;
    if (!records) return Promise.resolve();
    const p = group.persistChain.then(() => records.write(group.groupId, { epoch: group.groupEpoch, initialized: group.initialized }));
    group.persistChain = p.catch((err: unknown) => this.log.error({ err, groupId: group.groupId }, 'share group record write failed'));
    return p;
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
    for (const g of this.groups.values()) for (const m of g.members.values()) if (m.sessionTimer) clearTimeout(m.sessionTimer);
    this.partitions.close();
  }
}
