/**
 * The share group settings of one group: its GROUP configs (share.*, errors.deadletterqueue.*)
 * where it sets them, else the broker's group.share.* keys (Kafka's names and bounds). Read on
 * each use, so dynamic broker config changes and AlterConfigs on the group apply to the next
 * heartbeat or fetch.
 */
import { groupConfigValue, parseIsoDuration } from '../config/group-configs.js';
import type { ConfigView } from '../config/view.js';

/** Where a share partition starts when the group first reads it (share.auto.offset.reset). */
export type ShareOffsetReset = 'latest' | 'earliest' | { readonly byDurationMs: number };

export interface ShareGroupConfig {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxSize: number;
  recordLockDurationMs: number;
  deliveryCountLimit: number;
  partitionMaxRecordLocks: number;
  maxShareSessions: number;
  autoOffsetReset: ShareOffsetReset;
  /** share.isolation.level=read_committed: acquire only up to the last stable offset, aborted records never. */
  readCommitted: boolean;
  maxWaitMs: number;
  maxGroups: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), Math.max(lo, hi));

function offsetReset(v: string): ShareOffsetReset {
  if (v === 'earliest') return 'earliest';
  if (v.startsWith('by_duration:')) {
    const ms = parseIsoDuration(v.slice('by_duration:'.length));
    if (ms !== null) return { byDurationMs: ms };
  }
  return 'latest';
}

export function shareGroupConfigFrom(c: ConfigView, group?: ReadonlyMap<string, string>): ShareGroupConfig {
  const int = (groupKey: string) => Number(groupConfigValue(group, groupKey, c));
  return {
    // Kafka refuses to start with a value outside its min/max bounds; we keep it inside them (a
    // group config was checked against them when set, but the bounds may have changed since).
    sessionTimeoutMs: clamp(int('share.session.timeout.ms'), c.int('group.share.min.session.timeout.ms'), c.int('group.share.max.session.timeout.ms')),
    heartbeatIntervalMs: clamp(int('share.heartbeat.interval.ms'), c.int('group.share.min.heartbeat.interval.ms'), c.int('group.share.max.heartbeat.interval.ms')),
    maxSize: c.int('group.share.max.size'),
    recordLockDurationMs: clamp(int('share.record.lock.duration.ms'), c.int('group.share.min.record.lock.duration.ms'), c.int('group.share.max.record.lock.duration.ms')),
    deliveryCountLimit: clamp(int('share.delivery.count.limit'), c.int('group.share.min.delivery.count.limit'), c.int('group.share.max.delivery.count.limit')),
    partitionMaxRecordLocks: group?.has('share.partition.max.record.locks')
      ? clamp(int('share.partition.max.record.locks'), c.int('group.share.min.partition.max.record.locks'), c.int('group.share.max.partition.max.record.locks'))
      : c.int('group.share.partition.max.record.locks'),
    maxShareSessions: c.int('group.share.max.share.sessions'),
    autoOffsetReset: offsetReset(groupConfigValue(group, 'share.auto.offset.reset', c)),
    readCommitted: groupConfigValue(group, 'share.isolation.level', c) === 'read_committed',
    maxWaitMs: c.int('runnel.share.fetch.max.wait.ms'),
    maxGroups: c.int('runnel.group.share.max.groups'),
  };
}
