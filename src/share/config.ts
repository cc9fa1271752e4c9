/**
 * The share group settings (group.share.*, Kafka's names and bounds), read from the broker config
 * on each use so dynamic broker config changes apply to the next heartbeat or fetch.
 */
import type { ConfigView } from '../config/view.js';

export interface ShareGroupConfig {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxSize: number;
  recordLockDurationMs: number;
  deliveryCountLimit: number;
  partitionMaxRecordLocks: number;
  maxShareSessions: number;
  /** Where a share partition starts when the group first reads it: 'latest' or 'earliest'. */
  autoOffsetReset: 'latest' | 'earliest';
  maxWaitMs: number;
  maxGroups: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), Math.max(lo, hi));

export function shareGroupConfigFrom(c: ConfigView): ShareGroupConfig {
  return {
    // Kafka refuses to start with a value outside its min/max bounds; we keep it inside them.
    sessionTimeoutMs: clamp(c.int('group.share.session.timeout.ms'), c.int('group.share.min.session.timeout.ms'), c.int('group.share.max.session.timeout.ms')),
    heartbeatIntervalMs: clamp(c.int('group.share.heartbeat.interval.ms'), c.int('group.share.min.heartbeat.interval.ms'), c.int('group.share.max.heartbeat.interval.ms')),
    maxSize: c.int('group.share.max.size'),
    recordLockDurationMs: clamp(c.int('group.share.record.lock.duration.ms'), c.int('group.share.min.record.lock.duration.ms'), c.int('group.share.max.record.lock.duration.ms')),
    deliveryCountLimit: clamp(c.int('group.share.delivery.count.limit'), c.int('group.share.min.delivery.count.limit'), c.int('group.share.max.delivery.count.limit')),
    partitionMaxRecordLocks: c.int('group.share.partition.max.record.locks'),
    maxShareSessions: c.int('group.share.max.share.sessions'),
    autoOffsetReset: c.get('runnel.group.share.auto.offset.reset') === 'earliest' ? 'earliest' : 'latest',
    maxWaitMs: c.int('runnel.share.fetch.max.wait.ms'),
    maxGroups: c.int('runnel.group.share.max.groups'),
  };
}
