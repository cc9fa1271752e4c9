/**
 * The group coordinator's half of following `__consumer_offsets` leadership
 * (data/coordinator-partitions.ts): what loading and unloading one partition means for groups,
 * as Kafka's GroupMetadataManager.onElection / onResignation.
 *
 * - Load: the partition's groups are read from the log (load.ts) and installed at once; members
 *   get a fresh session timeout, so consumers carry on without a rebalance when their
 *   coordinator moves.
 * - Unload: each group of the partition is dropped as Kafka's onGroupUnloaded does — it turns
 *   Dead, its timers stop, parked JoinGroup/SyncGroup requests are answered NOT_COORDINATOR — and
 *   the members' next requests get NOT_COORDINATOR, so they look the coordinator up again.
 * - Transaction markers written to a partition while it loads (TxnOffsetCommit offsets becoming
 *   committed or dropped) are held and applied after the install: the load may have read the log
 *   before the marker landed, and its groups are not in memory yet.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { CoordinatorPartitionHooks } from '../data/coordinator-partitions.js';
import type { GroupCoordinator } from './coordinator.js';
import { loadGroupsPartition } from './load.js';
import { completeTxnOffsets } from './txn-offsets.js';

/** Markers (producer id, commit) that reached a partition while it was loading. */
export type HeldMarkers = Map<number, Array<[number, boolean]>>;

export function groupPartitionHooks(coord: GroupCoordinator, held: HeldMarkers): CoordinatorPartitionHooks {
  return {
    load(partition) {
      held.set(partition, []);
      const loading = loadGroupsPartition(coord, partition);
      const afterInstall = (install: () => void) => () => {
        install();
        const markers = held.get(partition) ?? [];
        held.delete(partition);
        for (const [producerId, commit] of markers) completeTxnOffsets(coord, partition, producerId, commit);
      };
      return typeof loading === 'function' ? afterInstall(loading) : loading.then(afterInstall);
    },
    unload(partition) {
      held.delete(partition);
      let dropped = 0;
      for (const group of [...coord.groups.values()]) {
        if (coord.partitionFor(group.groupId) !== partition) continue;
        coord.removeGroup(group, ErrorCode.NOT_COORDINATOR);
        dropped++;
      }
      coord.logger.info({ partition, groups: dropped }, 'groups unloaded: this broker no longer leads their partition');
    },
  };
}

/** A marker was written to `partition`: its transaction's offsets are applied now, or after the load in flight. */
export function onTxnMarker(coord: GroupCoordinator, held: HeldMarkers, partition: number, producerId: number, commit: boolean): void {
  const waiting = coord.ownership.isLoading(partition) ? held.get(partition) : undefined;
  if (waiting) waiting.push([producerId, commit]);
  else completeTxnOffsets(coord, partition, producerId, commit);
}
