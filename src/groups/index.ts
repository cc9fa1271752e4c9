/**
 * The group coordinator wired into the broker: offsets in the broker's own `__consumer_offsets`
 * topic, groups reloaded from it before the listeners open (so clients never see a coordinator
 * still loading), periodic offset expiry, offsets dropped with their topic, and a shutdown that
 * answers parked JoinGroup/SyncGroup requests so connections drain quickly.
 */
import type { Broker } from '../broker.js';
import { groupConfigFrom } from './config.js';
import { GroupCoordinator } from './coordinator.js';
import { loadGroups } from './load.js';
import { TopicOffsetsLog } from './offsets-log.js';
import { expireOffsets, removeTopicOffsets } from './offsets.js';

export { GroupCoordinator } from './coordinator.js';
export { describeGroupLag, type GroupLag, type PartitionLag } from './admin.js';

export async function startGroupCoordinator(broker: Broker): Promise<GroupCoordinator> {
  const logger = broker.log.child({ component: 'groups' });
  const coord = new GroupCoordinator({
    log: new TopicOffsetsLog(broker),
    config: () => groupConfigFrom(broker.config),
    logger,
    partitionExists: (topic, partition) => {
      const t = broker.topics.get(topic);
      return t !== undefined && partition >= 0 && partition < t.partitions;
    },
    logEndOffset: (topic, partition) => broker.topics.partitionLog(topic, partition)?.highWatermark ?? null,
  });
  const stats = await loadGroups(coord);
  if (stats.records > 0) logger.info(stats, 'groups and offsets loaded');
  coord.expireHook = async () => {
    await expireOffsets(coord);
  };
  coord.startExpiry();
  broker.topics.onChange((event, topic) => {
    if (event === 'deleted') void removeTopicOffsets(coord, topic.name);
  });
  broker.onStop(() => coord.shutdown());
  return coord;
}

/** A member's host as Kafka shows it (InetAddress.toString(): "/127.0.0.1"). */
export function clientHostOf(remoteAddress: string): string {
  return `/${remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress}`;
}
