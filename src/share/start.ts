/**
 * Builds the share groups of one broker (KIP-932) and their persistence: the share coordinator of
 * the `__share_group_state` partitions led here, the persister that reaches the share coordinator
 * of any key (here, or over ReadShareGroupState / WriteShareGroupState on another broker in a
 * cluster), and the leadership listener that drops a share partition's state when this broker
 * stops leading its partition.
 */
import { SHARE_VERSION, SHARE_VERSION_DEAD_LETTERS } from '../features/definitions.js';
import type { FeatureLevels } from '../features/feature-levels.js';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { ConfigView } from '../config/view.js';
import { SHARE_GROUP_STATE_TOPIC, type InternalTopicHost } from '../data/internal-topic.js';
import type { Leadership } from '../data/leadership.js';
import type { PartitionsPort } from '../data/partitions.js';
import type { Logger } from '../logger.js';
import type { TopicConfigs, TopicsPort } from '../metadata/port.js';
import type { MarkerRouting } from '../txn/cluster-markers.js';
import type { ProducerIdsPort } from '../txn/port.js';
import { RoutingPersister } from './persister.js';
import { ShareGroupRecords } from './group-records.js';
import { BrokerDeadLetterSink } from './remote-dead-letter.js';
import { BrokerShareState } from './remote-state.js';
import { ShareGroupService } from './service.js';
import { ShareStateCoordinator } from './state-coordinator.js';
import { ShareStateLog } from './state-log.js';

export interface ShareGroupsOptions {
  config: ConfigView;
  /** Its groupConfigs give each group's GROUP configs (share.*, errors.deadletterqueue.*). */
  topics: TopicsPort & InternalTopicHost & Partial<Pick<TopicConfigs, 'groupConfigs'>>;
  partitions: PartitionsPort;
  leadership: Leadership;
  log: Logger;
  /** A cluster: where partitions are led and other brokers listen; null on a single node. */
  routing: MarkerRouting | null;
  tls?: (() => TlsConnectionOptions) | null;
  /** Registers what stops the share groups (the broker's stop hooks). */
  onStop: (stop: () => void) => void;
  /** The finalized feature levels: KIP-1191 dead-letter topics need share.version 2, as in Kafka 4.4. */
  features?: Pick<FeatureLevels, 'finalizedLevel'>;
  /** Producer ids for the idempotent dead-letter copies to other brokers (cluster mode). */
  producerIds?: ProducerIdsPort;
}

function producerIdsOf(o: ShareGroupsOptions): ProducerIdsPort {
  if (!o.producerIds) throw new Error('share groups in a cluster need the producer id allocator');
  return o.producerIds;
}

/** The started service (its stop registered with o.onStop). */
export async function startShareGroups(o: ShareGroupsOptions): Promise<ShareGroupService> {
  const coordinator = new ShareStateCoordinator(new ShareStateLog(o.config, o.topics, o.partitions), o.leadership, o.log.child({ component: 'share-coordinator' }));
  const routing = o.routing;
  const timeoutMs = () => o.config.int('request.timeout.ms');
  const remote = routing
    ? new BrokerShareState({ brokerId: routing.brokerId, leaderOf: (p) => routing.leaderOf(SHARE_GROUP_STATE_TOPIC, p), addressOf: (id) => routing.addressOf(id), requestTimeoutMs: timeoutMs, tls: o.tls })
    : null;
  const persister = new RoutingPersister(coordinator, remote, routing?.brokerId ?? -1, timeoutMs);
  // The groups' own records in __consumer_offsets (group-records.ts): read at startup on a single
  // node; in a cluster the coordinator follows the leadership of their partitions (group-ownership.ts).
  const groupRecords = new ShareGroupRecords(o.config, o.topics, o.partitions);
  // Dead-letter copies to a dead-letter partition led by another broker (dead-letter.ts).
  const deadLetterSink =
    routing && remote
      ? new BrokerDeadLetterSink({ brokerId: routing.brokerId, leaderOf: (t, p) => routing.leaderOf(t, p), request: (b, k, body) => remote.request(b, k, body), requestTimeoutMs: timeoutMs, allocateProducerId: () => producerIdsOf(o).allocate() })
      : null;
  const service = new ShareGroupService(o.config, o.topics, o.partitions, o.log, { persister, coordinator, groupRecords, deadLetterSink, leadership: o.leadership }, routing !== null);
  if (o.features) service.deadLetters.groupDeadLettersEnabled = () => o.features!.finalizedLevel(SHARE_VERSION) >= SHARE_VERSION_DEAD_LETTERS;
  const unsubscribe = o.leadership.onChange((topic, partition, event) => {
    if (event === 'leader') return;
    const t = o.topics.get(topic);
    if (t) service.partitionMoved(t.id, partition);
  });
  o.onStop(() => {
    unsubscribe();
    coordinator.stop();
    remote?.close();
    service.shutdown();
  });
  await service.start();
  return service;
}
