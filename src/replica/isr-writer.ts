/**
 * The ISR writer port (docs/cluster.md, "The ISR"): how a partition leader changes its ISR —
 * Kafka's AlterPartition, which here the leader writes itself into the cluster metadata (etcd,
 * isr-etcd.ts) instead of asking a controller. The broker composition passes one in; a single
 * node has none (its ISR is itself, forever).
 *
 * The request names the state it was computed from (leader, leader epoch, partition epoch): it is
 * applied only if that is still the stored state, with the partition epoch bumped — so a leader
 * that was replaced, or whose view is stale, cannot write (Kafka's FENCED_LEADER_EPOCH and
 * INVALID_UPDATE_VERSION). The answer carries the state now stored either way, which the leader
 * applies at once (the metadata image brings the same state again later, and an equal or older
 * partition epoch changes nothing).
 */

/** A partition's stored replica state, as the ISR writer reads and writes it. */
export interface StoredPartitionState {
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
}

export interface AlterIsrRequest {
  topic: string;
  partition: number;
  /** The state the change was computed from. */
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  /** The new ISR (the leader included). */
  isr: readonly number[];
  /** Members the new ISR adds: each must still be a live broker of the cluster. */
  added: readonly number[];
}

export type AlterIsrResult =
  /** Written: the stored state now (partition epoch + 1). */
  | { kind: 'ok'; state: StoredPartitionState }
  /** Refused: the stored state moved (or the partition is gone: null), or an added broker is not alive; this is what is stored. */
  | { kind: 'stale'; state: StoredPartitionState | null };

export interface IsrWriter {
  /** Rejects when the metadata store cannot be reached (the leader tries again at its next check). */
  alterIsr(req: AlterIsrRequest): Promise<AlterIsrResult>;
}
