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
 * - a write of start offset -1 with no batches deletes the key (a tombstone: what Kafka's
 *   DeleteShareGroupState does; DeleteShareGroupOffsets and DeleteGroups send it, share/admin.ts).
 *
 * Served locally (persister.ts) or over ReadShareGroupState / WriteShareGroupState (84, 85) for
 * partition leaders on other brokers.
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

  /** Writes a share partition's state; resolves once durable. Throws KafkaError (NOT_COORDINATOR, FENCED_LEADER_EPOCH, ...). */
  async write(groupId: string, topicId: Buffer, partition: number, state: StoredShareState): Promise<void> {
    const p = this.partitionFor(groupId, topicId, partition);
    const token = this.ownership.token(p);
    if (token === null) throw new KafkaError(this.ownership.error(p) as ErrorCodeValue, `${SHARE_GROUP_STATE_TOPIC}-${p} is not coordinated here`);
    const key = memoryKey(groupId, topicId, partition);
    const known = this.states.get(p)?.get(key);
    const epoch = state.leaderEpoch ?? -1;
    if (known && epoch !== -1 && epoch < (known.leaderEpoch ?? -1)) {
      throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, `leader epoch ${state.leaderEpoch} is older than ${known.leaderEpoch}`);
    }
    const deleted = isDeletion(state);
    if (deleted) await this.stateLog.remove(groupId, topicId, partition);
    else await this.stateLog.write(groupId, topicId, partition, state);
    // Kept only if this broker still leads the partition it was written to (else it reloads from the log).
    if (this.ownership.token(p) !== token) this.log.debug({ groupId, partition }, 'share state written while the state partition moved');
    else if (deleted) this.states.get(p)?.delete(key);
    else this.states.get(p)?.set(key, { ...state, leaderEpoch: Math.max(epoch, known?.leaderEpoch ?? -1) });
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

/** The state that deletes a key (start offset -1, no batches). */
export const DELETED_STATE: StoredShareState = { startOffset: -1, leaderEpoch: -1, batches: [] };

export function isDeletion(state: StoredShareState): boolean {
  return state.startOffset < 0 && state.batches.length === 0;
}
