/**
 * The leadership port: which partitions this broker leads, at which leader epoch, and a stream of
 * changes. The coordinators follow it (docs/cluster.md, "Coordinators"): the group coordinator
 * owns the groups of the `__consumer_offsets` partitions led here, the transaction coordinator
 * the transactional ids of the `__transaction_state` partitions led here, and the schema registry
 * writes only while it leads `_schemas` partition 0 — as Kafka's GroupMetadataManager and
 * TransactionStateManager follow onLeadershipChange (onElection / onResignation).
 *
 * Single node: data/local-leadership.ts (every hosted partition is led here). Cluster: the
 * ReplicaManager implements it as it applies the controller's decisions.
 *
 * The contract, for implementations:
 * - `isLeader` and `leaderEpoch` answer the current replica state (a fenced broker leads nothing).
 * - Listeners are called synchronously once the state changed (isLeader already answers the new
 *   state): 'leader' when this broker becomes leader, or stays leader at a newer epoch, with the
 *   new leader epoch; 'resigned' when it stops leading — it became a follower, was fenced, the
 *   partition moved away or was deleted — with the partition's epoch at that moment (the new
 *   leader's epoch, or the unchanged one when fenced). The same event may be repeated; an event
 *   with an epoch older than one already reported for the partition is stale and ignored.
 * - Changes made before a listener subscribed are not replayed: a subscriber reads the current
 *   state with isLeader/leaderEpoch after subscribing (the coordinators scan their partitions).
 * - Listeners only schedule work and never throw.
 */

export type LeadershipEvent = 'leader' | 'resigned';

export type LeadershipListener = (topic: string, partition: number, event: LeadershipEvent, leaderEpoch: number) => void;

export interface Leadership {
  /** This broker leads the partition now. */
  isLeader(topic: string, partition: number): boolean;
  /** The leader epoch at which this broker leads the partition; -1 when it does not lead it. */
  leaderEpoch(topic: string, partition: number): number;
  /** Calls `cb` on every change from now on (see the header); returns a function that unsubscribes. */
  onChange(cb: LeadershipListener): () => void;
}
