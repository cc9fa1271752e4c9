/**
 * The share group coordinator and share-partition manager of one broker (KIP-932), in memory:
 * ShareGroupHeartbeat (membership, simple assignment, session timeouts), ShareGroupDescribe, and
 * ShareFetch / ShareAcknowledge (share sessions, acquisition, acknowledgement, lock release when a
 * member leaves, times out or closes its share session).
 *
 * Each share partition's state lives on the partition's leader: it is read through the persister
 * (persister.ts: the share coordinator of its key, here or on another broker) when first used, and
 * written there before a fetch or acknowledgement is answered; a partition no longer led here is
 * dropped (partitionMoved) and read again if it comes back. Membership is in memory on the group
 * coordinator (the handlers refuse heartbeats elsewhere); in a cluster a member whose group this
 * coordinator does not know (it moved here) is told UNKNOWN_MEMBER_ID and rejoins. See
 * docs/share-groups.md.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { ConfigView } from '../config/view.js';
import type { Partition, PartitionLookup } from '../data/partitions.js';
import type { Logger } from '../logger.js';
import type { TopicsPort } from '../metadata/port.js';
import { shareGroupConfigFrom, type ShareGroupConfig } from './config.js';
import { ShareGroup, type ShareMember, type TopicInfo } from './group.js';
import { InvalidRecordState, UnknownRecords, type AcquiredRange, type Archived } from './partition-state.js';
import { SharePartition } from './share-partition.js';
import { PartitionDeliveryState } from './partition-state.js';
import type { SharePersister } from './persister.js';
import type { ShareStateCoordinator } from './state-coordinator.js';
import { DeadLetterWriter } from './dead-letter.js';

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
const fail = (errorCode: number, errorMessage: string | null = null): ShareHeartbeatResult => ({ errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });

export class ShareGroupService {
  private readonly groups = new Map<string, ShareGroup>();
  /** `${groupId}\u0000${topicIdHex}:${partition}` → its share partition. */
  private readonly partitions = new Map<string, SharePartition>();
  /** `${groupId}\u0000${memberId}` → share session. */
  private readonly sessions = new Map<string, ShareSession>();
  /** Records archived (rejected or at the delivery limit), for metrics. */
  archivedRecords = 0;
  /** Share partitions whose state is being read from their share coordinator. */
  private readonly loading = new Map<string, Promise<SharePartition>>();
  readonly deadLetters: DeadLetterWriter;

  constructor(
    private readonly config: ConfigView,
    private readonly topics: TopicsPort,
    private readonly logs: PartitionLookup,
    private readonly log: Logger,
    /** Null: nothing persisted (unit tests). */
    private readonly persistence: { persister: SharePersister; coordinator: ShareStateCoordinator } | null = null,
    /** A cluster: group coordinators move, so a group unknown here may have moved (UNKNOWN_MEMBER_ID). */
    private readonly clustered = false,
  ) {
    this.deadLetters = new DeadLetterWriter(config, topics, logs, log);
  }

  /** The share coordinator of this broker (ReadShareGroupState / WriteShareGroupState); null without persistence. */
  get stateCoordinator(): ShareStateCoordinator | null {
    return this.persistence?.coordinator ?? null;
  }

  /** Loads the __share_group_state partitions led here (before the broker serves requests). */
  async start(): Promise<void> {
    await this.persistence?.coordinator.start();
  }

  /**
   * This broker no longer leads `topic`-`partition`: its share partitions go (their locks with
   * them; the new leader reads the state from the share coordinator).
   */
  partitionMoved(topicId: Buffer, partition: number): void {
    const suffix = `\u0000${topicId.toString('hex')}:${partition}`;
    for (const [k, sp] of this.partitions) {
      if (!k.endsWith(suffix)) continue;
      sp.close();
      this.partitions.delete(k);
    }
  }

  /** The group coordinator moved away: the group's membership here is stale and goes. */
  unloadGroup(groupId: string): void {
    const group = this.groups.get(groupId);
    if (!group) return;
    for (const m of group.members.values()) if (m.sessionTimer) clearTimeout(m.sessionTimer);
    this.groups.delete(groupId);
  }

  get settings(): ShareGroupConfig {
    return shareGroupConfigFrom(this.config);
  }

  // ---- membership ---------------------------------------------------------------------------

  heartbeat(req: ShareHeartbeatRequest): ShareHeartbeatResult {
    const cfg = this.settings;
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
      // In a cluster the group may have been coordinated elsewhere until now (membership is not
      // persisted): the member is unknown here, and rejoins.
      if (this.clustered && req.memberEpoch > 0) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
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
    this.sessions.delete(`${group.groupId}\u0000${m.memberId}`);
    this.releaseMemberLocks(group.groupId, m.memberId);
  }

  private releaseMemberLocks(groupId: string, memberId: string): void {
    const prefix = `${groupId}\u0000`;
    for (const [k, sp] of this.partitions) if (k.startsWith(prefix)) sp.releaseMember(memberId);
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
      const s: ShareSession = { groupId, memberId, epoch: 1, partitions: new Map() };
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

  /** The share partition, its state read from its share coordinator on first use. Throws KafkaError. */
  private async sharePartition(groupId: string, topic: string, topicId: Buffer, partition: number, log: Partition): Promise<SharePartition> {
    const key = `${groupId}\u0000${topicId.toString('hex')}:${partition}`;
    let sp = this.partitions.get(key);
    if (!sp) {
      let pending = this.loading.get(key);
      if (!pending) {
        pending = this.loadSharePartition(key, groupId, topic, topicId, partition, log).finally(() => this.loading.delete(key));
        this.loading.set(key, pending);
      }
      sp = await pending;
    }
    if (sp.state) sp.state.deadLetter = this.deadLetters.topicFor(groupId) !== null;
    return sp;
  }

  private async loadSharePartition(key: string, groupId: string, topic: string, topicId: Buffer, partition: number, log: Partition): Promise<SharePartition> {
    const persister = this.persistence?.persister ?? null;
    const leaderEpoch = log.leaderEpoch;
    const persist = (p: SharePartition): Promise<void> => {
      if (!persister || p.state === null) return Promise.resolve();
      return persister.write(groupId, topicId, partition, { ...p.state.toStored(), leaderEpoch }).catch((err: unknown) => {
        this.log.error({ err, groupId, topic, partition }, 'share state write failed');
        throw err;
      });
    };
    const saved = persister ? await persister.read(groupId, topicId, partition, leaderEpoch) : null;
    const sp = new SharePartition(topic, partition, () => this.settings.deliveryCountLimit, (p, a) => this.archived(groupId, p, a), persist);
    if (saved) {
      sp.state = PartitionDeliveryState.fromStored(saved.startOffset, saved.batches, this.settings.deliveryCountLimit);
      sp.recovering = sp.state.pendingDeadLetters().length > 0;
    }
    // Led elsewhere meanwhile: not kept (the next request here gets NOT_LEADER_OR_FOLLOWER).
    if (!log.isLeader || log.leaderEpoch !== leaderEpoch) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition} moved`);
    this.partitions.set(key, sp);
    if (sp.recovering) this.drainDeadLetters(groupId, sp);
    return sp;
  }

  private archived(groupId: string, sp: SharePartition, archived: Archived[]): void {
    for (const a of archived) this.archivedRecords += a.last - a.first + 1;
    this.log.debug({ groupId, topic: sp.topic, partition: sp.partition, archived }, 'share records archived');
    if (sp.state?.deadLetter) this.drainDeadLetters(groupId, sp);
  }

  /**
   * Copies the partition's pending archived ranges to the group's dead-letter topic, one partition
   * at a time: the pending state is made durable first, each copy then, and "done" after it.
   */
  private drainDeadLetters(groupId: string, sp: SharePartition): void {
    sp.deadLetterChain = sp.deadLetterChain.then(async () => {
      const st = sp.state;
      const source = this.logs.get(sp.topic, sp.partition);
      if (!st || !source) return;
      const pending = st.pendingDeadLetters();
      if (pending.length === 0) return;
      await sp.persist(sp);
      for (const r of pending) {
        await this.deadLetters.write(groupId, source, r.first, r.last, r.deliveryCount, r.dlqPending!, sp.recovering);
        st.deadLettered(r);
      }
      sp.recovering = false;
      await sp.persist(sp);
    }).catch((err: unknown) => {
      this.log.error({ err, groupId, topic: sp.topic, partition: sp.partition }, 'dead-letter copy failed; retried on the next archive or restart');
    });
  }

  /** Applies one partition's acknowledgements; returns the error code (INVALID_RECORD_STATE ...). */
  async acknowledge(groupId: string, memberId: string, topic: string, topicId: Buffer, partition: number, batches: readonly PartitionAck[]): Promise<number> {
    const log = this.logs.get(topic, partition);
    if (!log) return this.clustered ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (!log.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    let sp: SharePartition;
    try {
      sp = await this.sharePartition(groupId, topic, topicId, partition, log);
    } catch (err) {
      return err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    if (sp.state === null) return ErrorCode.INVALID_RECORD_STATE;
    const lockMs = this.settings.recordLockDurationMs;
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
    // Durable before the answer: an acknowledged record is never delivered again, even after a crash.
    try {
      await sp.persist(sp);
    } catch {
      return ErrorCode.KAFKA_STORAGE_ERROR;
    }
    return code;
  }

  /**
   * Acquires records for a member from the session's partitions, up to `maxRecords` in all,
   * waiting up to `maxWaitMs` when none is there. Results by `${topicIdHex}:${partition}`.
   */
  async fetch(s: ShareSession, maxRecords: number, maxBytes: number, maxWaitMs: number, readCommitted: boolean, lastStable: (log: import('../data/partitions.js').Partition) => number): Promise<Map<string, PartitionFetch>> {
    const cfg = this.settings;
    const out = new Map<string, PartitionFetch>();
    const deadline = Date.now() + Math.min(Math.max(maxWaitMs, 0), cfg.maxWaitMs);
    let budget = Math.max(1, maxRecords);
    let bytes = Math.max(1, maxBytes);
    for (;;) {
      const waits: Array<() => void> = [];
      let wake: () => void = () => {};
      const woken = new Promise<void>((resolve) => (wake = resolve));
      for (const [key, { topicId, partition }] of s.partitions) {
        if (budget <= 0 || bytes <= 0) break;
        const topic = this.topics.byId(topicId);
        const log = topic ? this.logs.get(topic.name, partition) : undefined;
        if (!topic || !log || !log.isLeader) {
          const missing = topic ? (this.clustered ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) : ErrorCode.UNKNOWN_TOPIC_ID;
          out.set(key, { records: null, acquired: [], errorCode: log && !log.isLeader ? ErrorCode.NOT_LEADER_OR_FOLLOWER : missing });
          continue;
        }
        try {
          const sp = await this.sharePartition(s.groupId, topic.name, topicId, partition, log);
          sp.init(log, cfg.autoOffsetReset);
          const readableEnd = readCommitted ? lastStable(log) : log.highWatermark;
          const r = await sp.acquire(log, s.memberId, { maxRecords: budget, maxBytes: bytes, maxRecordLocks: cfg.partitionMaxRecordLocks, lockMs: cfg.recordLockDurationMs, deliveryLimit: cfg.deliveryCountLimit, readableEnd });
          if (r.count > 0) {
            const records = r.batches.length === 1 ? r.batches[0]! : Buffer.concat(r.batches);
            out.set(key, { records, acquired: r.acquired, errorCode: 0 });
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
      const got = [...out.values()].some((f) => f.records !== null);
      const left = deadline - Date.now();
      if (got || left <= 0 || waits.length === 0) {
        for (const c of waits) c();
        return out;
      }
      let timer: NodeJS.Timeout | null = null;
      await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      if (timer) clearTimeout(timer);
      for (const c of waits) c();
      if (Date.now() >= deadline) {
        // One last look, without waiting again.
        maxWaitMs = 0;
      }
    }
  }

  /** In-flight counts per partition of a group, for describe/tests. */
  inFlight(groupId: string): Array<{ key: string; startOffset: number; endOffset: number; available: number; acquired: number }> {
    const out = [];
    const prefix = `${groupId}\u0000`;
    for (const [k, sp] of this.partitions) {
      if (!k.startsWith(prefix) || sp.state === null) continue;
      const c = sp.state.counts();
      out.push({ key: k.slice(prefix.length), startOffset: sp.state.startOffset, endOffset: sp.state.endOffset, available: c.available, acquired: c.acquired });
    }
    return out;
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

  shutdown(): void {
    for (const g of this.groups.values()) for (const m of g.members.values()) if (m.sessionTimer) clearTimeout(m.sessionTimer);
    for (const sp of this.partitions.values()) sp.close();
  }
}
