/**
 * Transaction markers: the COMMIT/ABORT control batch that ends a transaction in each of its
 * partitions. The coordinator hands a transaction's markers to a MarkerSender (Kafka's
 * TransactionMarkerChannelManager), which gets each to its partition's leader:
 *
 * - LocalMarkerSender (one node, and any partition led here): appends the marker itself
 *   (appendMarkerLocally, which the WriteTxnMarkers handler also uses for markers other brokers
 *   send here).
 * - ClusterMarkerSender (cluster-markers.ts) groups the partitions by leader, appends those led
 *   here with appendMarkerLocally, and sends one WriteTxnMarkers request (v1, through the bundled
 *   client) per other leader with the coordinator epoch; it answers each partition with that
 *   broker's error code, and NOT_LEADER_OR_FOLLOWER / NETWORK_EXCEPTION for leaders that moved or
 *   are unreachable, which the coordinator retries.
 *
 * Markers are written with acks=all semantics, as Kafka's WriteTxnMarkers appends them (acks -1):
 * once every in-sync replica has one, a new leader cannot lose it.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { buildControlBatch } from '../../protocol/records/builder.js';
import { ControlRecordType } from '../../protocol/records/records.js';
import type { ConfigView } from '../config/view.js';
import { within } from '../data/deadline.js';
import { CONSUMER_OFFSETS_TOPIC } from '../data/internal-topic.js';
import type { PartitionsPort } from '../data/partitions.js';
import type { TopicsPort } from '../metadata/port.js';
import type { ProducerStatesPort } from './port.js';

export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  /** The leader epoch of the coordinator's `__transaction_state` partition (Kafka's coordinator epoch). */
  coordinatorEpoch: number;
  commit: boolean;
}

export interface MarkerSender {
  /**
   * Writes `marker` to each partition, at its leader; resolves with one error code per partition,
   * in order, once each is acknowledged or failed. Never rejects. NONE: written;
   * UNKNOWN_TOPIC_OR_PARTITION: the partition is gone (nothing left to mark); any other code is
   * retried by the coordinator (the transaction stays in its Prepare state until every marker is
   * written).
   */
  send(marker: TxnMarker, partitions: ReadonlyArray<readonly [string, number]>): Promise<number[]>;
  /**
   * A cluster only: asks the coordinator of `transactionalId` — the leader of its
   * `__transaction_state` partition, another broker — to add partitions to the producer's
   * transaction (AddPartitionsToTxn v5, not verify-only: KIP-890 part 2's implicit add, as Kafka's
   * partition leaders send it). Resolves with the coordinator's code; NOT_COORDINATOR when the
   * partition has no other leader now, NETWORK_EXCEPTION when it cannot be reached. Never rejects.
   * `verifyOnly`: only ask whether the partitions are in the transaction (KIP-890 part 1, for
   * clients before transaction version 2): a partition not in it is TRANSACTION_ABORTABLE.
   */
  addToTransaction?(stateLogPartition: number, transactionalId: string, producerId: number, producerEpoch: number, parts: ReadonlyArray<readonly [string, number]>, verifyOnly?: boolean): Promise<number>;
}

/** Told when a marker lands in `__consumer_offsets` (the group coordinator applies or drops the transaction's offsets). */
export interface TxnMarkerListener {
  txnMarkerWritten(offsetsPartition: number, producerId: number, commit: boolean): void;
}

/** What appending markers locally needs of the broker. */
export interface LocalMarkerDeps {
  /** request.timeout.ms bounds the wait for a marker's acknowledgement. */
  readonly config: ConfigView;
  readonly topics: Pick<TopicsPort, 'get' | 'settings'>;
  readonly partitions: Pick<PartitionsPort, 'get' | 'appendInOrder'>;
  readonly producerStates: ProducerStatesPort;
  readonly groups: TxnMarkerListener;
}

/**
 * Appends a transaction marker to a partition led here and applies it (producer state; group
 * offsets for __consumer_offsets). With `checkEpoch` (WriteTxnMarkers) a marker older than the
 * producer's epoch in the partition is refused with INVALID_PRODUCER_EPOCH, as Kafka refuses it.
 * Returns the error code (UNKNOWN_TOPIC_OR_PARTITION when the partition is gone,
 * NOT_LEADER_OR_FOLLOWER when it is not led here); throws the partition's KafkaError
 * (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, KAFKA_STORAGE_ERROR ...), or REQUEST_TIMED_OUT when
 * not acknowledged within request.timeout.ms.
 */
export async function appendMarkerLocally(deps: LocalMarkerDeps, topic: string, partition: number, marker: TxnMarker, checkEpoch: boolean): Promise<number> {
  const t = deps.topics.get(topic);
  if (!t || partition < 0 || partition >= t.partitions) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  // A partition of the topic not hosted or not led here is led elsewhere (a cluster): the sender
  // retries. (A follower's producer state is not loaded for nothing.)
  const log = deps.partitions.get(topic, partition);
  if (!log?.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  const { producerId, producerEpoch, coordinatorEpoch, commit } = marker;
  const batch = buildControlBatch(commit ? ControlRecordType.Commit : ControlRecordType.Abort, { producerId, producerEpoch, coordinatorEpoch });
  const minInsyncReplicas = deps.topics.settings(t).minInsyncReplicas;
  let refused = false;
  const acknowledged = await deps.partitions.appendInOrder(
    log,
    async () => {
      await deps.producerStates.get(log);
    },
    () => {
      const state = deps.producerStates.peek(log)!;
      const current = state.producers.get(producerId)?.epoch ?? -1;
      if (checkEpoch && producerEpoch < current) {
        refused = true;
        return null;
      }
      const res = log.append(batch, -1, minInsyncReplicas);
      state.completeTxn(producerId, producerEpoch, res.baseOffset, !commit, Date.now());
      return log.acknowledgement(res, -1);
    },
  );
  if (acknowledged) await within(acknowledged, deps.config.int('request.timeout.ms'), () => new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `marker to ${topic}-${partition} not acknowledged in time`));
  if (refused) return ErrorCode.INVALID_PRODUCER_EPOCH;
  if (topic === CONSUMER_OFFSETS_TOPIC) deps.groups.txnMarkerWritten(partition, producerId, commit);
  return ErrorCode.NONE;
}

/** One node: every partition is led here, so every marker is appended locally. */
export class LocalMarkerSender implements MarkerSender {
  constructor(private readonly deps: LocalMarkerDeps) {}

  send(marker: TxnMarker, partitions: ReadonlyArray<readonly [string, number]>): Promise<number[]> {
    return Promise.all(
      partitions.map(([topic, partition]) =>
        appendMarkerLocally(this.deps, topic, partition, marker, false).catch((err: unknown) => (err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR)),
      ),
    );
  }
}
