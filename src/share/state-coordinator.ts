/**
 * The share coordinator (KIP-932's ShareCoordinator): the keeper of share-partition states in
 * `__share_group_state`. Each key `group:topicId:partition` lives in one partition of that topic
 * (state-log.ts partitionFor, as Kafka hashes it), and the leader of that partition serves it:
 *
 * - leading a partition replays it (ShareSnapshot, ShareUpdate records) into memory; losing it
 *   drops that memory (data/coordinator-partitions.ts, as the group coordinator follows
 *   `__consumer_offsets`). A request for a key of a partition led elsewhere gets NOT_COORDINATOR,
 *   of one still loading COORDINATOR_LOAD_IN_PROGRESS;
 * - read answers the latest state; write appends a ShareSnapshot (acks=all through replication)
 *   and answers once it is durable, then keeps it as the latest;
 * - a write from an older share-partition leader (a lower leader epoch than the state's) gets
 *   FENCED_LEADER_EPOCH: a deposed leader cannot overwrite what the new one wrote. Epoch -1 is an
 *   administrative write (AlterShareGroupOffsets on an empty group), never fenced, as in Kafka;
 * - each state has a state epoch (Kafka's): initialize (InitializeShareGroupState, an offsets
 *   reset) writes a new state at a new epoch, and a write carrying an older one is fenced
 *   (FENCED_STATE_EPOCH), so the leader still holding the old state learns of the reset on its
 *   next write and reloads; delete (DeleteShareGroupState) writes a tombstone, and a write to a
 *   key without state is refused (INVALID_REQUEST, Kafka's) unless it is a leader's creation
 *   (state epoch -1);
 * - summary (ReadShareGroupStateSummary) answers the epochs and start offset without the batches.
 *
 * Served locally (persister.ts) or over InitializeShareGroupState, ReadShareGroupState,
 * WriteShareGroupState, DeleteShareGroupState, ReadShareGroupStateSummary (83-87) for group
 * coordinators and partition leaders on other brokers.
 */
import { ErrorCode, KafkaError, type ErrorCodeValue } from '../../protocol/errors.js';
import { CoordinatorPartitions } from '../data/coordinator-partitions.js';
import { SHARE_GROUP_STATE_TOPIC } from '../data/internal-topic.js';
import type { Leadership } from '../data/leadership.js';
import type { Logger } from '../logger.js';
import { stateKey, type ShareStateLog, type StoredShareState } from './state-log.js';

/** `${groupId}\u0000${topicIdHex}:${partition}`: how states are keyed in memory. */
export function memoryKey(groupId: string, topicId: Buffer, partition: number): string {
  return `${groupId}\u0000${topicId.toString('hex')}:${partition}`;
}

export class ShareStateCoordinator {
  /** __share_group_state partition → the states of its keys. */
  private readonly states = new Map<number, Map<string, StoredShareState>>();
  readonly ownership: CoordinatorPartitions;

  constructor(
    readonly stateLog: ShareStateLog,
    leadership: Leadership,
    private readonly log: Logger,
  ) {
    this.ownership = new CoordinatorPartitions(
      SHARE_GROUP_STATE_TOPIC,
      leadership,
      {
        load: async (partition) => {
          const loaded = await stateLog.loadPartition(partition);
          return () => {
            this.states.set(partition, loaded);
            log.info({ partition, sharePartitions: loaded.size }, 'share group state partition loaded');
          };
        },
        unload: (partition) => void this.states.delete(partition),
      },
      log,
    );
  }

  /** Follows __share_group_state leadership; resolves once the partitions led here now are loaded. */
  start(): Promise<void> {
    return this.ownership.start(this.stateLog.exists() ? this.stateLog.count() : 0);
  }

  stop(): void {
    this.ownership.stop();
  }

  partitionFor(groupId: string, topicId: Buffer, partition: number): number {
    return this.stateLog.partitionFor(stateKey(groupId, topicId, partition));
  }

  /** Creates __share_group_state when missing and waits for the loads its creation started. */
  async ensureTopic(): Promise<void> {
    const existed = this.stateLog.exists();
    await this.stateLog.ensure();
    if (!existed) await this.ownership.settled();
  }

  /** NONE when this broker serves the key now, else NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS. */
  refusal(groupId: string, topicId: Buffer, partition: number): number {
    return this.ownership.error(this.partitionFor(groupId, topicId, partition));
  }

  /**
   * The latest state of a share partition (null: none written yet), read by its leader at
   * `leaderEpoch`. A newer epoch than the state's is remembered (Kafka's read-and-maybe-update-
   * leader-epoch): the deposed leader's writes after this read are fenced, so none of them can be
   * lost under the new leader's next write. Throws KafkaError when not served here.
   */
  read(groupId: string, topicId: Buffer, partition: number, leaderEpoch = -1): StoredShareState | null {
    const p = this.partitionFor(groupId, topicId, partition);
    const refused = this.ownership.error(p);
    if (refused !== ErrorCode.NONE) throw new KafkaError(refused as ErrorCodeValue, `${SHARE_GROUP_STATE_TOPIC}-${p} is not coordinated here`);
    const state = this.states.get(p)?.get(memoryKey(groupId, topicId, partition)) ?? null;
    if (state && leaderEpoch > (state.leaderEpoch ?? -1)) state.leaderEpoch = leaderEpoch;
    return state;
  }

  /**
   * Writes a share partition's state (WriteShareGroupState); resolves once durable. Throws
   * KafkaError: NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS, FENCED_LEADER_EPOCH (an older
   * share-partition leader), FENCED_STATE_EPOCH (the state was initialised anew since the writer
   * read it: an offsets reset), INVALID_REQUEST (no state: Kafka's "uninitialized share
   * partition"; it was deleted since the writer read it).
   *
   * State epoch -1 is Runnel's creation write: the leader found no state and created it from
   * share.auto.offset.reset; it is accepted when there is still none, or one of state epoch 0 (an
   * older leader's creation, which the leader epoch orders), and the state is then at epoch 0.
   */
  async write(groupId: string, topicId: Buffer, partition: number, state: StoredShareState): Promise<void> {
    const p = this.partitionFor(groupId, topicId, partition);
    const token = this.ownership.token(p);
    if (token === null) throw new KafkaError(this.ownership.error(p) as ErrorCodeValue, `${SHARE_GROUP_STATE_TOPIC}-${p} is not coordinated here`);
    const key = memoryKey(groupId, topicId, partition);
    const known = this.states.get(p)?.get(key);
    const epoch = state.leaderEpoch ?? -1;
    const stateEpoch = state.stateEpoch ?? -1;
    if (known && epoch !== -1 && epoch < (known.leaderEpoch ?? -1)) {
      throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `leader epoch ${state.leaderEpoch} is older than ${known.leaderEpoch}`);
    }
    if (!known && stateEpoch !== -1) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Write operation on uninitialized share partition not allowed.');
    const current = known?.stateEpoch ?? 0;
    if (known && (stateEpoch === -1 ? current > 0 : stateEpoch < current)) {
      throw new KafkaError(ErrorCode.FENCED_STATE_EPOCH, `state epoch ${stateEpoch} is older than ${current}`);
    }
    const next: StoredShareState = { ...state, stateEpoch: current, leaderEpoch: Math.max(epoch, known?.leaderEpoch ?? -1) };
    await this.stateLog.write(groupId, topicId, partition, next);
    this.keep(p, token, key, next);
  }

  /**
   * InitializeShareGroupState: the share partition's state anew — `startOffset` (-1: the leader
   * starts from share.auto.offset.reset) with nothing in flight, at `stateEpoch`, so the leader
   * holding the old state is fenced on its next write and reloads. FENCED_STATE_EPOCH when the
   * state already has a newer state epoch (Kafka's rule). Resolves once durable.
   */
  async initialize(groupId: string, topicId: Buffer, partition: number, stateEpoch: number, startOffset: number): Promise<void> {
    const p = this.partitionFor(groupId, topicId, partition);
    const token = this.ownership.token(p);
    if (token === null) throw new KafkaError(this.ownership.error(p) as ErrorCodeValue, `${SHARE_GROUP_STATE_TOPIC}-${p} is not coordinated here`);
    const key = memoryKey(groupId, topicId, partition);
    const known = this.states.get(p)?.get(key);
    if (known && stateEpoch !== -1 && (known.stateEpoch ?? 0) > stateEpoch) {
      throw new KafkaError(ErrorCode.FENCED_STATE_EPOCH, `state epoch ${stateEpoch} is older than ${known.stateEpoch}`);
    }
    const next: StoredShareState = { startOffset, stateEpoch: Math.max(0, stateEpoch), leaderEpoch: known?.leaderEpoch ?? -1, batches: [] };
    await this.stateLog.write(groupId, topicId, partition, next);
    this.keep(p, token, key, next);
  }

  /** DeleteShareGroupState: a tombstone (none when there is no state); resolves once durable. */
  async delete(groupId: string, topicId: Buffer, partition: number): Promise<void> {
    const p = this.partitionFor(groupId, topicId, partition);
    const token = this.ownership.token(p);
    if (token === null) throw new KafkaError(this.ownership.error(p) as ErrorCodeValue, `${SHARE_GROUP_STATE_TOPIC}-${p} is not coordinated here`);
    const key = memoryKey(groupId, topicId, partition);
    if (!this.states.get(p)?.has(key)) return;
    await this.stateLog.remove(groupId, topicId, partition);
    this.keep(p, token, key, null);
  }

  /** ReadShareGroupStateSummary: the state without its batches (null: none). Throws KafkaError when not served here. */
  summary(groupId: string, topicId: Buffer, partition: number): ShareStateSummary | null {
    const p = this.partitionFor(groupId, topicId, partition);
    const refused = this.ownership.error(p);
    if (refused !== ErrorCode.NONE) throw new KafkaError(refused as ErrorCodeValue, `${SHARE_GROUP_STATE_TOPIC}-${p} is not coordinated here`);
    const s = this.states.get(p)?.get(memoryKey(groupId, topicId, partition));
    return s ? summarize(s) : null;
  }

  /** Keeps what was written only if this broker still leads the partition it went to (else it reloads from the log). */
  private keep(p: number, token: unknown, key: string, state: StoredShareState | null): void {
    if (this.ownership.token(p) !== token) this.log.debug({ key, partition: p }, 'share state written while the state partition moved');
    else if (state === null) this.states.get(p)?.delete(key);
    else this.states.get(p)?.set(key, state);
  }

  /** A share partition's state if held here now (no ownership error: share/admin.ts describes with it). */
  held(groupId: string, topicId: Buffer, partition: number): StoredShareState | null {
    return this.states.get(this.partitionFor(groupId, topicId, partition))?.get(memoryKey(groupId, topicId, partition)) ?? null;
  }

  /** The keys of a group's states held here now (`${topicIdHex}:${partition}`), for share/admin.ts. */
  *keysOf(groupId: string): Iterable<string> {
    const prefix = `${groupId}\u0000`;
    for (const m of this.states.values()) for (const k of m.keys()) if (k.startsWith(prefix)) yield k.slice(prefix.length);
  }

  /** The groups with any state held here now (a restarted single node: their members rejoin). */
  groupIds(): Set<string> {
    const out = new Set<string>();
    for (const m of this.states.values()) for (const k of m.keys()) out.add(k.slice(0, k.indexOf('\u0000')));
    return out;
  }
}

export interface ShareStateSummary {
  stateEpoch: number;
  leaderEpoch: number;
  /** -1: initialised without a start offset (the leader starts from share.auto.offset.reset). */
  startOffset: number;
  /** KIP-1226: records at or past the start offset already acknowledged or archived. */
  deliveryCompleteCount: number;
}

export function summarize(s: StoredShareState): ShareStateSummary {
  let done = 0;
  for (const b of s.batches) {
    if (b.lastOffset < s.startOffset || b.deliveryState === 0 || b.deliveryState === 1) continue;
    done += b.lastOffset - Math.max(b.firstOffset, s.startOffset) + 1;
  }
  return { stateEpoch: s.stateEpoch ?? 0, leaderEpoch: s.leaderEpoch ?? -1, startOffset: s.startOffset, deliveryCompleteCount: s.startOffset < 0 ? -1 : Math.min(done, 0x7fffffff) };
}
