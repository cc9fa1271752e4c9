/**
 * What the transaction coordinator (coordinator.ts) and its state log (txn-log.ts) use of the
 * broker, passed in at start: configs, the state directory and its fs seam, topics (to follow
 * deletions and create __transaction_state), partitions (to append markers and state records),
 * producer ids and producer state, the group coordinator (transactional offsets complete with
 * their markers), which `__transaction_state` partitions this broker leads, and how markers
 * reach the partitions of a transaction.
 */
import type { ConfigView } from '../config/view.js';
import type { InternalTopicHost } from '../data/internal-topic.js';
import type { Leadership } from '../data/leadership.js';
import type { PartitionsPort } from '../data/partitions.js';
import type { Logger } from '../logger.js';
import type { TopicChanges, TopicsPort } from '../metadata/port.js';
import type { StorageFs } from '../../storage/fs.js';
import type { MarkerSender, TxnMarkerListener } from './markers.js';
import type { ProducerIdsPort, ProducerStatesPort } from './port.js';
import type { TxnStateLog } from './txn-log.js';
import type { TransactionalPartitions } from './txn-partitions.js';

export interface TransactionCoordinatorDeps {
  /** The broker's root logger (the coordinator logs as component "transactions"). */
  readonly log: Logger;
  readonly config: ConfigView;
  /** The data directory (transactional-partitions.json, the legacy ids file). */
  readonly dataDir: string;
  readonly stateFs: StorageFs;
  readonly topics: Pick<TopicsPort, 'get' | 'all' | 'settings'> & TopicChanges & InternalTopicHost;
  readonly partitions: Pick<PartitionsPort, 'get' | 'appendInOrder'>;
  readonly producerIds: ProducerIdsPort;
  readonly producerStates: ProducerStatesPort;
  /** `__consumer_offsets` markers apply or drop transactional offsets (GroupCoordinator.txnMarkerWritten). */
  readonly groups: TxnMarkerListener;
  /** Which `__transaction_state` partitions this broker leads (their transactional ids are coordinated here). */
  readonly leadership: Leadership;
  /**
   * How markers reach the partitions of a transaction. Default: appended locally (markers.ts,
   * one node). A cluster sends WriteTxnMarkers to each partition's leader.
   */
  readonly markers?: MarkerSender;
  /**
   * The record of partitions ever part of a transaction, when the broker shares it with the produce
   * path and the follower fetchers (which record the partitions they append transactions to).
   * Default: opened from the data directory.
   */
  readonly transactionalPartitions?: TransactionalPartitions;
  /** Where the state goes. Default: `__transaction_state` (txn-log.ts); unit tests keep it in memory. */
  readonly stateLog?: TxnStateLog;
}
