/**
 * The share-group data path on a partition leader (KIP-932): share sessions (their epochs, and the
 * connection that opened each), acquisition for ShareFetch and acknowledgement for ShareFetch /
 * ShareAcknowledge against the share partitions held here (share-partitions.ts). As in Kafka, a
 * leader does not ask the group coordinator about member ids; membership is service.ts's.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Partition, PartitionLookup } from '../data/partitions.js';
import type { TopicsPort } from '../metadata/port.js';
import type { ShareGroupConfig, ShareOffsetReset } from './config.js';
import { InvalidRecordState, UnknownRecords, type AcquiredRange } from './partition-state.js';
import type { SharePartition } from './share-partition.js';
import type { SharePartitions } from './share-partitions.js';
import { StateWrites } from './state-writes.js';

export interface ShareSession {
  groupId: string;
  memberId: string;
  /** The epoch the next request must carry. */
  epoch: number;
  /** `${topicIdHex}:${partition}` → topic id and partition. */
  partitions: Map<string, { topicId: Buffer; partition: number }>;
  /** Where the next fetch starts in `partitions` (modulo its size): one further on each fetch. */
  rotation: number;
  detach?: () => void; // unregisters its connection's close hook (bindToConnection)
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


export interface ShareDataPathDeps {
  topics: TopicsPort;
  logs: PartitionLookup;
  partitions: SharePartitions;
  /** A cluster: a partition not hosted here is NOT_LEADER_OR_FOLLOWER, not unknown. */
  clustered: boolean;
  settingsFor(groupId: string): ShareGroupConfig;
  /** A share partition of the group got state: the group's initialised partitions say so. */
  markInitialized(groupId: string, topic: string, topicId: Buffer, partition: number): void;
}

export class ShareDataPath {
  /** `${groupId}\u0000${memberId}` → share session. */
  private readonly sessions = new Map<string, ShareSession>();

  constructor(private readonly d: ShareDataPathDeps) {}

  /** The member's share session goes (and its connection hook), and with it the member's locks. */
  endSession(groupId: string, memberId: string): void {
    const key = `${groupId}\u0000${memberId}`;
    this.sessions.get(key)?.detach?.();
    this.sessions.delete(key);
    this.d.partitions.releaseMember(groupId, memberId);
  }

  /**
   * Checks the share session epoch as Kafka does and returns the session to use: 0 opens a new one
   * (replacing the member's old one), -1 is the last request of the session, anything else must be
   * the next epoch. Returns an error code instead when refused.
   */
  session(groupId: string, memberId: string, epoch: number): ShareSession | number {
    const key = `${groupId}\u0000${memberId}`;
    const existing = this.sessions.get(key);
    if (epoch === 0) {
      if (!existing && this.sessions.size >= this.d.settingsFor(groupId).maxShareSessions) return ErrorCode.SHARE_SESSION_LIMIT_REACHED;
      // A new session replaces the member's old one, whose records stay acquired by the member (it
      // may still acknowledge them) until acknowledged or their locks end, as in Kafka 4.4
      // (test/differential/share-groups.test.ts); the old connection's close no longer ends anything.
      existing?.detach?.();
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
    this.endSession(s.groupId, s.memberId);
  }

  /**
   * Ties a new session to its connection: when that closes, the session goes and the member's records
   * are released at once, as Kafka 4.4 does (test/differential/share-groups.test.ts).
   */
  bindToConnection(s: ShareSession, onClose: (fn: () => void) => () => void): void {
    s.detach = onClose(() => {
      s.detach = undefined;
      if (this.sessions.get(`${s.groupId}\u0000${s.memberId}`) === s) this.closeSession(s);
    });
  }

  /**
   * Applies one partition's acknowledgements in memory and adds its share partition to `writes`,
   * which the caller flushes before answering (durable first: an acknowledged record is never
   * delivered again, even after a crash). Returns the error code (INVALID_RECORD_STATE ...).
   */
  async acknowledge(groupId: string, memberId: string, topic: string, topicId: Buffer, partition: number, batches: readonly PartitionAck[], writes: StateWrites<SharePartition>): Promise<{ errorCode: number; sp: SharePartition | null }> {
    const log = this.d.logs.get(topic, partition);
    if (!log) return { errorCode: this.d.clustered ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, sp: null };
    if (!log.isLeader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, sp: null };
    let sp: SharePartition;
    try {
      sp = await this.d.partitions.get(groupId, topic, topicId, partition, log);
    } catch (err) {
      return { errorCode: err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR, sp: null };
    }
    if (sp.state === null) return { errorCode: ErrorCode.INVALID_RECORD_STATE, sp: null };
    const lockMs = this.d.settingsFor(groupId).recordLockDurationMs;
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
    const cfg = this.d.settingsFor(s.groupId);
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
        const topic = this.d.topics.byId(topicId);
        const log = topic ? this.d.logs.get(topic.name, partition) : undefined;
        if (!topic || !log || !log.isLeader) {
          const missing = topic ? (this.d.clustered ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) : ErrorCode.UNKNOWN_TOPIC_ID;
          out.set(key, { records: null, acquired: [], errorCode: log && !log.isLeader ? ErrorCode.NOT_LEADER_OR_FOLLOWER : missing });
          continue;
        }
        try {
          const sp = await this.d.partitions.get(s.groupId, topic.name, topicId, partition, log);
          if (sp.state === null) {
            this.d.markInitialized(s.groupId, topic.name, topicId, partition);
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
            waits.push(sp.onAvailable(wake));
            // The log's waiter waits for records not yet in the log. At share.partition.max.record.locks
            // only an acknowledgement, release or lock expiry (onAvailable) lets the fetch go on; and
            // behind read_committed's last stable offset the high watermark is already past the end
            // offset, so the next append (the transaction's marker) is what to wait for. A waiter at
            // the end offset would fire at once there, and the fetch would loop in microtasks until
            // its MaxWaitMs, holding the event loop.
            const st = sp.state!;
            if (st.inFlight < cfg.partitionMaxRecordLocks) waits.push(log.waitForData(Math.max(st.endOffset, log.highWatermark), wake));
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
}
