/**
 * The consumer group protocol's settings (group.consumer.*), read from the broker config on each
 * use; a group's GROUP configs consumer.session.timeout.ms and consumer.heartbeat.interval.ms win.
 */
import { groupConfigValue } from '../../config/group-configs.js';
import type { ConfigView } from '../../config/view.js';
import { assignorName } from './assignors.js';

export interface ConsumerGroupConfig {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxSize: number;
  /** Our assignor names, the default first. */
  assignors: string[];
  maxSubscribedTopics: number;
  maxRegexLength: number;
  maxIdLength: number;
  /** group.consumer.migration.policy: which online conversions between the protocols are allowed. */
  migrationPolicy: MigrationPolicy;
}

export type MigrationPolicy = 'bidirectional' | 'upgrade' | 'downgrade' | 'disabled';

export const upgradeEnabled = (p: MigrationPolicy): boolean => p === 'bidirectional' || p === 'upgrade';
export const downgradeEnabled = (p: MigrationPolicy): boolean => p === 'bidirectional' || p === 'downgrade';

export const DEFAULT_CONSUMER_GROUP_CONFIG: ConsumerGroupConfig = {
  sessionTimeoutMs: 45000,
  heartbeatIntervalMs: 5000,
  maxSize: 1000,
  assignors: ['uniform', 'range'],
  maxSubscribedTopics: 10000,
  maxRegexLength: 1000,
  maxIdLength: 255,
  migrationPolicy: 'bidirectional',
};

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), Math.max(lo, hi));

function assignorList(v: unknown): string[] {
  const names = (Array.isArray(v) ? (v as string[]) : []).map((a) => assignorName(a)).filter((a): a is string => a !== null);
  return names.length > 0 ? [...new Set(names)] : ['uniform', 'range'];
}

export function consumerGroupConfigFrom(config: ConfigView, group?: ReadonlyMap<string, string>): ConsumerGroupConfig {
  const int = (key: string) => Number(groupConfigValue(group, key, config));
  return {
    // Kafka refuses to start with a value outside its bounds; we keep it inside them.
    sessionTimeoutMs: clamp(int('consumer.session.timeout.ms'), config.int('group.consumer.min.session.timeout.ms'), config.int('group.consumer.max.session.timeout.ms')),
    heartbeatIntervalMs: clamp(int('consumer.heartbeat.interval.ms'), config.int('group.consumer.min.heartbeat.interval.ms'), config.int('group.consumer.max.heartbeat.interval.ms')),
    maxSize: config.int('group.consumer.max.size'),
    assignors: assignorList(config.get('group.consumer.assignors')),
    maxSubscribedTopics: config.int('runnel.group.consumer.max.subscribed.topics'),
    maxRegexLength: config.int('runnel.group.consumer.max.regex.length'),
    maxIdLength: config.int('runnel.group.consumer.max.id.length'),
    migrationPolicy: String(config.get('group.consumer.migration.policy')).toLowerCase() as MigrationPolicy,
  };
}
