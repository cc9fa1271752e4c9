/**
 * The share-partition leader's persister (KIP-932's Persister): where a share partition's state is
 * read when this broker starts leading it, and written before a fetch or acknowledgement is
 * answered. It goes to the share coordinator of the key — the leader of its `__share_group_state`
 * partition:
 *
 * - led here (always on a single node): the local ShareStateCoordinator, no request;
 * - led by another broker: ReadShareGroupState / WriteShareGroupState (84, 85) and, for the group
 *   coordinator's administration, InitializeShareGroupState / DeleteShareGroupState /
 *   ReadShareGroupStateSummary (83, 86, 87), over a connection to its inter-broker listener (the
 *   `remote` port; the broker wires it in cluster mode).
 *
 * A coordinator moving (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, no leader, the connection
 * lost) is retried with a short backoff until request.timeout.ms has passed, as Kafka's persister
 * retries; then the call fails (the fetch or acknowledgement answers an error and the client
 * retries). FENCED_LEADER_EPOCH and FENCED_STATE_EPOCH are never retried: this broker no longer
 * leads the share partition, or its state was initialised anew (share-partitions.ts reloads it).
 */
import { ErrorCode, KafkaError, type ErrorCodeValue } from '../../protocol/errors.js';
import type { StoredShareState } from './state-log.js';
import type { ShareStateCoordinator, ShareStateSummary } from './state-coordinator.js';

export interface SharePersister {
  /** The share partition's state (null: never written). */
  read(groupId: string, topicId: Buffer, partition: number, leaderEpoch: number): Promise<StoredShareState | null>;
  /** Writes the share partition's state; resolves once durable at its share coordinator. */
  write(groupId: string, topicId: Buffer, partition: number, state: StoredShareState): Promise<void>;
  /** Deletes the share partition's state (DeleteShareGroupState: a tombstone at its share coordinator); resolves once durable. */
  remove(groupId: string, topicId: Buffer, partition: number): Promise<void>;
  /** InitializeShareGroupState: the state anew at `stateEpoch` from `startOffset` (-1: share.auto.offset.reset); resolves once durable. */
  initialize(groupId: string, topicId: Buffer, partition: number, stateEpoch: number, startOffset: number): Promise<void>;
  /** ReadShareGroupStateSummary (null: no state). */
  summary(groupId: string, topicId: Buffer, partition: number): Promise<ShareStateSummary | null>;
}

/** The requests to a share coordinator on another broker (cluster mode). Throws KafkaError. */
export interface RemoteShareState {
  /** The leader of the __share_group_state partition now; -1 without one. */
  leaderOf(statePartition: number): number;
  read(broker: number, groupId: string, topicId: Buffer, partition: number, leaderEpoch: number): Promise<StoredShareState | null>;
  write(broker: number, groupId: string, topicId: Buffer, partition: number, state: StoredShareState): Promise<void>;
  initialize(broker: number, groupId: string, topicId: Buffer, partition: number, stateEpoch: number, startOffset: number): Promise<void>;
  remove(broker: number, groupId: string, topicId: Buffer, partition: number): Promise<void>;
  summary(broker: number, groupId: string, topicId: Buffer, partition: number): Promise<ShareStateSummary | null>;
}

/** op's broker argument for the coordinator of this broker. */
const LOCAL = -2;

const RETRIABLE: ReadonlySet<number> = new Set([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
]);

export class RoutingPersister implements SharePersister {
  constructor(
    private readonly coordinator: ShareStateCoordinator,
    private readonly remote: RemoteShareState | null,
    private readonly brokerId: number,
    /** request.timeout.ms, read per call. */
    private readonly timeoutMs: () => number,
  ) {}

  read(groupId: string, topicId: Buffer, partition: number, leaderEpoch: number): Promise<StoredShareState | null> {
    return this.retrying(groupId, topicId, partition, (broker) =>
      broker === LOCAL ? Promise.resolve(this.coordinator.read(groupId, topicId, partition, leaderEpoch)) : this.remote!.read(broker, groupId, topicId, partition, leaderEpoch),
    );
  }

  write(groupId: string, topicId: Buffer, partition: number, state: StoredShareState): Promise<void> {
    return this.retrying(groupId, topicId, partition, (broker) =>
      broker === LOCAL ? this.coordinator.write(groupId, topicId, partition, state) : this.remote!.write(broker, groupId, topicId, partition, state),
    );
  }

  remove(groupId: string, topicId: Buffer, partition: number): Promise<void> {
    return this.retrying(groupId, topicId, partition, (broker) =>
      broker === LOCAL ? this.coordinator.delete(groupId, topicId, partition) : this.remote!.remove(broker, groupId, topicId, partition),
    );
  }

  initialize(groupId: string, topicId: Buffer, partition: number, stateEpoch: number, startOffset: number): Promise<void> {
    return this.retrying(groupId, topicId, partition, (broker) =>
      broker === LOCAL ? this.coordinator.initialize(groupId, topicId, partition, stateEpoch, startOffset) : this.remote!.initialize(broker, groupId, topicId, partition, stateEpoch, startOffset),
    );
  }

  summary(groupId: string, topicId: Buffer, partition: number): Promise<ShareStateSummary | null> {
    return this.retrying(groupId, topicId, partition, (broker) =>
      broker === LOCAL ? Promise.resolve(this.coordinator.summary(groupId, topicId, partition)) : this.remote!.summary(broker, groupId, topicId, partition),
    );
  }

  /** Runs `op` against the key's share coordinator, again while it moves, up to request.timeout.ms. */
  private async retrying<T>(groupId: string, topicId: Buffer, partition: number, op: (broker: number) => Promise<T>): Promise<T> {
    await this.coordinator.ensureTopic();
    const deadline = Date.now() + this.timeoutMs();
    for (let backoff = 50; ; backoff = Math.min(backoff * 2, 500)) {
      const statePartition = this.coordinator.partitionFor(groupId, topicId, partition);
      const owned = this.coordinator.ownership.owns(statePartition);
      const local = owned || this.remote === null;
      const broker = local ? this.brokerId : this.remote!.leaderOf(statePartition);
      let code: number;
      try {
        if (!local && broker < 0) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${statePartition} has no leader`);
        return await op(local ? LOCAL : broker);
      } catch (err) {
        code = err instanceof KafkaError ? err.code : ErrorCode.NETWORK_EXCEPTION;
        if (!RETRIABLE.has(code) || Date.now() + backoff > deadline) throw err instanceof KafkaError ? err : new KafkaError(code as ErrorCodeValue, (err as Error).message);
      }
      await new Promise((r) => setTimeout(r, backoff));
    }
  }
}
