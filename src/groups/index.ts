/**
 * The group coordinator started from its ports: offsets in the broker's own `__consumer_offsets`
 * topic; the groups of the partitions this broker leads loaded before the listeners open (so on
 * one node clients never see a coordinator still loading), and loaded or dropped as leadership
 * moves later (ownership.ts); periodic offset expiry, and offsets dropped with their topic. The
 * caller stops it with `shutdown()`, which answers parked JoinGroup/SyncGroup requests so
 * connections drain quickly.
 */
import type { ConfigView } from '../config/view.js';
import type { Leadership } from '../data/leadership.js';
import type { Logger } from '../logger.js';
import type { TopicChanges, TopicsPort } from '../metadata/port.js';
import { groupConfigFrom } from './config.js';
import { consumerGroupConfigFrom } from './consumer/config.js';
import { GroupCoordinator } from './coordinator.js';
import { TopicOffsetsLog, type TopicOffsetsLogDeps } from './offsets-log.js';
import { expireOffsets, removeTopicOffsets } from './offsets.js';

export { GroupCoordinator } from './coordinator.js';
export { GroupService } from './service.js';
export type { GroupsPort } from './port.js';
export { describeGroupLag, type GroupLag, type PartitionLag } from './admin.js';

export interface GroupCoordinatorDeps extends TopicOffsetsLogDeps {
  /** The broker's root logger (the coordinator logs as component "groups"). */
  readonly log: Logger;
  readonly topics: TopicOffsetsLogDeps['topics'] & TopicChanges & Pick<TopicsPort, 'byId' | 'all'>;
  /** Which `__consumer_offsets` partitions this broker leads. */
  readonly leadership: Leadership;
  /** The racks of a partition's replicas, for rack-aware consumer group assignment. */
  readonly partitionRacks?: (topic: string, partition: number) => readonly string[];
  /** A group's GROUP config overrides (consumer.session.timeout.ms, consumer.heartbeat.interval.ms). */
  readonly groupConfigs?: (groupId: string) => ReadonlyMap<string, string> | undefined;
}

export async function startGroupCoordinator(deps: GroupCoordinatorDeps): Promise<GroupCoordinator> {
  const logger = deps.log.child({ component: 'groups' });
  const config: ConfigView = deps.config;
  const coord = new GroupCoordinator({
    log: new TopicOffsetsLog(deps),
    config: () => groupConfigFrom(config),
    consumerConfig: (groupId) => consumerGroupConfigFrom(config, groupId === undefined ? undefined : deps.groupConfigs?.(groupId)),
    partitionRacks: deps.partitionRacks,
    topics: { get: (name) => deps.topics.get(name), byId: (id) => deps.topics.byId(id), all: () => deps.topics.all() },
    logger,
    leadership: deps.leadership,
    partitionExists: (topic, partition) => {
      const t = deps.topics.get(topic);
      return t !== undefined && partition >= 0 && partition < t.partitions;
    },
    logEndOffset: (topic, partition) => deps.partitions.get(topic, partition)?.highWatermark ?? null,
  });
  await coord.start();
  coord.expireHook = async () => {
    await expireOffsets(coord);
  };
  coord.startExpiry();
  deps.topics.onChange((event, topic) => {
    if (event !== 'configs') coord.topicsVersion++;
    if (event === 'deleted') void removeTopicOffsets(coord, topic.name);
  });
  return coord;
}

/** A member's host as Kafka shows it (InetAddress.toString(): "/127.0.0.1"). */
export function clientHostOf(remoteAddress: string): string {
  return `/${remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress}`;
}
