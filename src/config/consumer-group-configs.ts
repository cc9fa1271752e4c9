/**
 * Broker config keys of consumer groups (the KIP-848 consumer protocol: group.consumer.*, with
 * Kafka's names and bounds, and Runnel's limits on what a member may send); part of
 * BROKER_CONFIGS (definitions.ts).
 */
import type { ConfigDef, ConfigValue } from './definitions.js';
import { atLeast } from './validators.js';

/** group.consumer.assignors: uniform and/or range, by short name or Kafka's class name. */
const consumerAssignors = (v: ConfigValue) => {
  if (!Array.isArray(v) || v.length === 0) return 'must list at least one of uniform, range';
  for (const a of v) if (!/^(org\.apache\.kafka\.coordinator\.group\.assignor\.(UniformAssignor|RangeAssignor)|uniform|range)$/.test(a)) return `'${a}' is not uniform or range`;
  return null;
};

export const CONSUMER_GROUP_CONFIGS: ConfigDef[] = [
  { name: 'group.consumer.session.timeout.ms', type: 'int', default: 45000, doc: 'Consumer groups (KIP-848): a member that sends no heartbeat for this long is removed from its group.', validate: atLeast(1) },
  { name: 'group.consumer.min.session.timeout.ms', type: 'int', default: 45000, doc: 'Consumer groups: the smallest value group.consumer.session.timeout.ms may take.', validate: atLeast(1) },
  { name: 'group.consumer.max.session.timeout.ms', type: 'int', default: 60000, doc: 'Consumer groups: the largest value group.consumer.session.timeout.ms may take.', validate: atLeast(1) },
  { name: 'group.consumer.heartbeat.interval.ms', type: 'int', default: 5000, doc: 'Consumer groups: the heartbeat interval given to members.', validate: atLeast(1) },
  { name: 'group.consumer.min.heartbeat.interval.ms', type: 'int', default: 5000, doc: 'Consumer groups: the smallest value group.consumer.heartbeat.interval.ms may take.', validate: atLeast(1) },
  { name: 'group.consumer.max.heartbeat.interval.ms', type: 'int', default: 15000, doc: 'Consumer groups: the largest value group.consumer.heartbeat.interval.ms may take.', validate: atLeast(1) },
  { name: 'group.consumer.migration.policy', type: 'string', default: 'bidirectional', doc: 'Online migration between the classic and the consumer group protocol (KIP-848): bidirectional, upgrade (a classic group becomes a consumer group when a consumer-protocol member joins), downgrade (a consumer group whose last consumer-protocol member leaves becomes classic) or disabled. Case-insensitive, as Kafka.', validate: (v) => (typeof v === 'string' && ['bidirectional', 'upgrade', 'downgrade', 'disabled'].includes(v.toLowerCase()) ? null : 'must be one of bidirectional, upgrade, downgrade, disabled') },
  { name: 'group.consumer.max.size', type: 'int', default: 1000, doc: 'Consumer groups: the most members one group may have (Kafka: unbounded); a member joining beyond it gets GROUP_MAX_SIZE_REACHED.', validate: atLeast(1) },
  { name: 'group.consumer.assignors', type: 'list', default: ['uniform', 'range'], doc: 'Consumer groups: the server-side assignors members may choose (group.remote.assignor); the first is the default. Names: uniform, range (Kafka\'s class names are accepted too).', validate: consumerAssignors },
  { name: 'runnel.group.consumer.max.subscribed.topics', type: 'int', default: 10000, doc: 'Runnel: the most topic names one consumer group member may subscribe to by name; above it the heartbeat gets INVALID_REQUEST.', validate: atLeast(1) },
  { name: 'runnel.group.consumer.max.regex.length', type: 'int', default: 1000, doc: 'Runnel: the longest subscribedTopicRegex a member may send (characters); above it the heartbeat gets INVALID_REGULAR_EXPRESSION.', validate: atLeast(1) },
  { name: 'runnel.group.consumer.max.id.length', type: 'int', default: 255, doc: 'Runnel: the longest member id, instance id, rack id or server assignor name a consumer group member may send (characters); above it the heartbeat gets INVALID_REQUEST.', validate: atLeast(1) },
];
