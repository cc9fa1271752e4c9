/** The group coordinator's settings, read from the broker config on each use (some keys are dynamic). */
import type { ConfigView } from '../config/view.js';

export interface GroupConfig {
  /** group.initial.rebalance.delay.ms: first rebalance of an empty group waits this long for more members. */
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** group.max.size */
  maxSize: number;
  /** offsets.retention.minutes, in ms. */
  offsetsRetentionMs: number;
  retentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
  /** offsets.commit.timeout.ms: longest wait for a commit (or group metadata) write. */
  commitTimeoutMs: number;
}

export const DEFAULT_GROUP_CONFIG: GroupConfig = {
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1800000,
  maxSize: 2147483647,
  offsetsRetentionMs: 10080 * 60_000,
  retentionCheckIntervalMs: 600000,
  offsetMetadataMaxBytes: 4096,
  commitTimeoutMs: 5000,
};

export function groupConfigFrom(config: ConfigView): GroupConfig {
  return {
    initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
    maxSize: config.int('group.max.size'),
    offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    retentionCheckIntervalMs: config.int('offsets.retention.check.interval.ms'),
    offsetMetadataMaxBytes: config.int('offset.metadata.max.bytes'),
    commitTimeoutMs: config.int('offsets.commit.timeout.ms'),
  };
}
