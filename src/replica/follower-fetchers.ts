/**
 * The follower fetchers port (docs/cluster.md, "Replication"): where the replica manager hands the
 * partitions this broker follows to the fetchers that copy the leader's records (one fetcher per
 * source broker, Kafka's ReplicaFetcherManager). The replica manager decides who follows whom from
 * the metadata image; the fetchers (src/replica/fetcher*.ts) do the fetching and truncation.
 *
 * The manager calls `addPartitions` when a partition becomes a follower of a leader or its leader
 * epoch changes (the fetcher restarts it at the new epoch: a partition is in at most one fetcher),
 * and `removePartitions` when it becomes leader, stops being a replica here, or its topic goes.
 *
 * NO_FETCHERS does nothing: followers then hold what they had (until the data path lands).
 */
import type { Partition } from './partition.js';

export interface FollowerFetchers {
  /** Follow `leaderId` for these partitions (each is already makeFollower'd at the new state). */
  addPartitions(leaderId: number, partitions: readonly Partition[]): void;
  /** Stop fetching these partitions (no-op for partitions not being fetched). */
  removePartitions(partitions: readonly Partition[]): void;
}

export const NO_FETCHERS: FollowerFetchers = {
  addPartitions: () => undefined,
  removePartitions: () => undefined,
};
