/**
 * In a cluster, the share groups coordinated here follow `__consumer_offsets` leadership
 * (data/coordinator-partitions.ts), as classic and consumer groups do (groups/ownership.ts):
 * becoming leader of partition p replays p's share group records (group-records.ts) and installs
 * its groups with their members (each with a fresh session timeout); until then requests for
 * them get COORDINATOR_LOAD_IN_PROGRESS. Resigning drops p's share groups: their members' next
 * requests get NOT_COORDINATOR and find the new coordinator, which loaded them from the log.
 */
import { CoordinatorPartitions } from '../data/coordinator-partitions.js';
import { CONSUMER_OFFSETS_TOPIC } from '../data/internal-topic.js';
import type { Leadership } from '../data/leadership.js';
import type { Logger } from '../logger.js';
import type { ShareGroupRecords, StoredShareGroup } from './group-records.js';

export interface ShareGroupInstaller {
  /** Puts loaded groups into memory (synchronously). */
  install(groups: ReadonlyMap<string, StoredShareGroup>): void;
  /** Drops the groups of a partition no longer led here. */
  unload(partition: number): void;
}

export function shareGroupOwnership(records: ShareGroupRecords, leadership: Leadership, log: Logger, to: ShareGroupInstaller): CoordinatorPartitions {
  return new CoordinatorPartitions(
    CONSUMER_OFFSETS_TOPIC,
    leadership,
    {
      load(partition) {
        if (!records.exists()) return () => undefined;
        return records.loadPartition(partition).then((groups) => () => to.install(groups));
      },
      unload(partition) {
        to.unload(partition);
      },
    },
    log.child({ component: 'share-group-ownership' }),
  );
}
