/**
 * What the transaction coordinator (coordinator.ts) and its state log (txn-log.ts) use of the
 * broker, passed in at start: configs, the state directory and its fs seam, topics (to follow
 * deletions and create __transaction_state), partitions (to append markers), producer ids and
 * producer state, and the group coordinator (transactional offsets complete with their markers).
 */
import type { ConfigView } from '../config/view.js';
import type { InternalTopicHost } from '../data/internal-topic.js';
import type { PartitionsPort } from '../data/partitions.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { Logger } from '../logger.js';
import type { TopicChanges, TopicsPort } from '../metadata/port.js';
import type { StorageFs } from '../../storage/fs.js';
import type { ProducerIdsPort, ProducerStatesPort } from './port.js';

export interface TransactionCoordinatorDeps {
  /** The broker's root logger (the coordinator logs as component "transactions"). */
  readonly log: Logger;
  readonly config: ConfigView;
  /** The data directory (transactional-partitions.json, the legacy ids file). */
  readonly dataDir: string;
  readonly stateFs: StorageFs;
  readonly topics: Pick<TopicsPort, 'get' | 'all'> & TopicChanges & InternalTopicHost;
  readonly partitions: Pick<PartitionsPort, 'get' | 'appendInOrder'>;
  readonly producerIds: ProducerIdsPort;
  readonly producerStates: ProducerStatesPort;
  readonly groups: GroupCoordinator;
}
