/**
 * Share group settings (KIP-932, KIP-1191): Kafka's group.share.* names, defaults and bounds, the
 * share-state topic, and Runnel's stand-ins for Kafka's per-group configs (docs/share-groups.md).
 */
import type { ConfigDef } from './definitions.js';
import { atLeast, between, oneOf } from './validators.js';

export const SHARE_GROUP_CONFIGS: ConfigDef[] = [
  { name: 'group.share.session.timeout.ms', type: 'int', default: 45000, doc: 'Share groups: a member that sends no heartbeat for this long is removed, and its acquired records released.', validate: atLeast(1) },
  { name: 'group.share.min.session.timeout.ms', type: 'int', default: 45000, doc: 'Share groups: the smallest value group.share.session.timeout.ms may take.', validate: atLeast(1) },
  { name: 'group.share.max.session.timeout.ms', type: 'int', default: 60000, doc: 'Share groups: the largest value group.share.session.timeout.ms may take.', validate: atLeast(1) },
  { name: 'group.share.heartbeat.interval.ms', type: 'int', default: 5000, doc: 'Share groups: the heartbeat interval given to members.', validate: atLeast(1) },
  { name: 'group.share.min.heartbeat.interval.ms', type: 'int', default: 5000, doc: 'Share groups: the smallest value group.share.heartbeat.interval.ms may take.', validate: atLeast(1) },
  { name: 'group.share.max.heartbeat.interval.ms', type: 'int', default: 15000, doc: 'Share groups: the largest value group.share.heartbeat.interval.ms may take.', validate: atLeast(1) },
  { name: 'group.share.max.size', type: 'int', default: 200, doc: 'Share groups: the most members one share group may have; a member joining beyond it gets GROUP_MAX_SIZE_REACHED.', validate: between(1, 1000) },
  { name: 'group.share.record.lock.duration.ms', type: 'int', default: 30000, doc: 'Share groups: how long an acquired record stays locked to its member before it becomes available to others again.', validate: atLeast(1000) },
  { name: 'group.share.min.record.lock.duration.ms', type: 'int', default: 15000, doc: 'Share groups: the smallest value group.share.record.lock.duration.ms may take.', validate: atLeast(1000) },
  { name: 'group.share.max.record.lock.duration.ms', type: 'int', default: 60000, doc: 'Share groups: the largest value group.share.record.lock.duration.ms may take.', validate: atLeast(1000) },
  { name: 'group.share.delivery.count.limit', type: 'int', default: 5, doc: 'Share groups: how many times a record may be acquired; after the last delivery is released or times out the record is archived.', validate: between(2, 10) },
  { name: 'group.share.min.delivery.count.limit', type: 'int', default: 2, doc: 'Share groups: the smallest value group.share.delivery.count.limit may take.', validate: between(2, 10) },
  { name: 'group.share.max.delivery.count.limit', type: 'int', default: 10, doc: 'Share groups: the largest value group.share.delivery.count.limit may take.', validate: between(2, 10) },
  { name: 'group.share.partition.max.record.locks', type: 'int', default: 2000, doc: 'Share groups: the most in-flight records (acquired or waiting redelivery) per share partition; no new records are acquired beyond it until earlier ones are acknowledged.', validate: between(100, 10000) },
  { name: 'group.share.min.partition.max.record.locks', type: 'int', default: 100, doc: 'Share groups: the smallest value a group\'s share.partition.max.record.locks may take.', validate: between(100, 10000) },
  { name: 'group.share.max.partition.max.record.locks', type: 'int', default: 4000, doc: 'Share groups: the largest value a group\'s share.partition.max.record.locks may take.', validate: between(100, 10000) },
  { name: 'group.share.max.share.sessions', type: 'int', default: 2000, doc: 'Share groups: the most share sessions this broker keeps; a new one beyond it gets SHARE_SESSION_LIMIT_REACHED.', validate: atLeast(1) },
  { name: 'share.coordinator.state.topic.num.partitions', type: 'int', default: 50, doc: 'Partitions of __share_group_state, where share partitions\' delivery state is kept (a partition per "group:topicId:partition" key, as Kafka\'s share coordinator).', validate: atLeast(1) },
  { name: 'share.coordinator.state.topic.segment.bytes', type: 'int', default: 104857600, doc: 'Segment size of __share_group_state.', validate: atLeast(1) },
  { name: 'runnel.group.share.dead.letter.topics', type: 'list', default: [], doc: 'Deprecated (use the group config errors.deadletterqueue.topic.name): share groups\' dead-letter topics as group=topic pairs, for groups without that group config. Such a topic needs no errors.deadletterqueue.group.enable and gets key and value copied (this key\'s behaviour before GROUP configs existed).' },
  { name: 'runnel.group.share.dead.letter.retry.backoff.ms', type: 'int', default: 200, doc: 'Share groups: how long a failed dead-letter copy (KIP-1191; e.g. the dead-letter partition\'s leader on another broker unreachable) waits before its first retry; each further failure doubles the wait up to runnel.group.share.dead.letter.retry.backoff.max.ms. A fetch of the share partition retries sooner. The record stays pending (and holds the share-partition start offset) until copied.', validate: between(1, 3_600_000), dynamic: true },
  { name: 'runnel.group.share.dead.letter.retry.backoff.max.ms', type: 'int', default: 10000, doc: 'Share groups: the longest wait between retries of a failed dead-letter copy (see runnel.group.share.dead.letter.retry.backoff.ms).', validate: between(1, 3_600_000), dynamic: true },
  { name: 'errors.deadletterqueue.auto.create.topics.enable', type: 'boolean', default: false, doc: 'KIP-1191: create a share group\'s dead-letter topic (default partitions, errors.deadletterqueue.group.enable=true) when a record is first dead-lettered and the topic does not exist; otherwise such records are archived without a copy.', dynamic: true },
  { name: 'errors.deadletterqueue.topic.name.prefix', type: 'string', default: 'dlq.', doc: 'KIP-1191: a share group\'s dead-letter topic must start with this prefix (records are archived without a copy otherwise).', dynamic: true },
  { name: 'runnel.group.share.auto.offset.reset', type: 'string', default: 'latest', doc: 'Deprecated (use the group config share.auto.offset.reset): where a share group without that group config starts reading a partition it never read.', validate: oneOf('latest', 'earliest') },
  { name: 'runnel.group.configs.max.groups', type: 'int', default: 10000, doc: 'Runnel: the most groups that may have GROUP configs (each is kept in memory, and in runnel-metadata.json or, in a cluster, in etcd, checked against the broker\'s metadata image); setting configs on one more group gets INVALID_REQUEST.', validate: atLeast(1), dynamic: true },
  { name: 'runnel.group.share.max.groups', type: 'int', default: 1000, doc: 'Runnel: the most share groups this broker keeps (each holds members and per-partition delivery state); a heartbeat creating one more gets GROUP_MAX_SIZE_REACHED.', validate: atLeast(1) },
  { name: 'runnel.share.fetch.max.wait.ms', type: 'int', default: 5000, doc: 'Runnel: the longest a ShareFetch waits for records (its MaxWaitMs is capped at this).', validate: atLeast(0) },
];
