/**
 * The one declarative table of configuration keys, with Kafka's names, types, defaults and
 * validators. Broker keys come first; topic keys (used by CreateTopics, AlterConfigs and
 * DescribeConfigs) name the broker key that supplies their default (Kafka's "synonym").
 *
 * Where Runnel's default differs from Kafka's it says so in `doc`. Keys Kafka accepts that have
 * no meaning for Runnel (thread counts, ZooKeeper, KRaft quorum settings) are accepted with a
 * warning so an existing server.properties still starts.
 */
import { validateIpOverrides } from './ip-overrides.js';
import { throttledReplicasProblem } from './throttled-replicas.js';
import { atLeast, between, listOf, oneOf } from './validators.js';
import { TLS_CONFIGS } from './tls-configs.js';
import { SASL_CONFIGS } from './sasl-configs.js';
import { ACL_CONFIGS } from './acl-configs.js';
import { QUOTA_CONFIGS } from './quota-configs.js';
import { CONSUMER_GROUP_CONFIGS } from './consumer-group-configs.js';
import { CLUSTER_CONFIGS } from './cluster-configs.js';
import { SHARE_GROUP_CONFIGS } from './share-group-configs.js';
import { SECURITY_PROTOCOLS, protocolMap } from './security-protocols.js';

export { SECURITY_PROTOCOLS, TLS_SECURITY_PROTOCOLS } from './security-protocols.js';

export type ConfigType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list' | 'password' | 'class';

export type ConfigValue = number | boolean | string | string[] | null;

export interface ConfigDef {
  name: string;
  type: ConfigType;
  default: ConfigValue;
  doc: string;
  /** Returns an error message, or null when the value is acceptable. */
  validate?: (v: ConfigValue) => string | null;
  /** Accepted for compatibility with Kafka's server.properties, but ignored. */
  ignored?: boolean;
  /** Can be changed at runtime through AlterConfigs (broker scope). */
  dynamic?: boolean;
  /** The type DescribeConfigs reports when Kafka's differs from how Runnel parses the key. */
  reportedType?: ConfigType | 'short';
  /** Not listed by DescribeConfigs, as Kafka lists none of its authorizer's own keys. */
  undescribed?: boolean;
}

export interface TopicConfigDef extends ConfigDef {
  /** The broker key whose value is this topic key's default, if any. */
  brokerSynonym?: string;
}

const listenerList = (v: ConfigValue) => {
  if (v === null) return null;
  if (!Array.isArray(v)) return 'must be a list of listeners';
  for (const l of v) if (!/^[A-Za-z0-9_]+:\/\/[^:]*:\d+$/.test(l)) return `'${l}' is not NAME://host:port`;
  return null;
};

const MS_DAY = 24 * 60 * 60 * 1000;

/** Confluent's subject name strategies, by short or full class name (schema validation). */
const SUBJECT_STRATEGY_DEFAULT = 'io.confluent.kafka.serializers.subject.TopicNameStrategy';
const subjectStrategy = (v: ConfigValue) =>
  typeof v === 'string' && /^(io\.confluent\.kafka\.serializers\.subject\.)?(TopicNameStrategy|RecordNameStrategy|TopicRecordNameStrategy)$/.test(v)
    ? null
    : 'must be TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy (optionally io.confluent.kafka.serializers.subject.<name>)';

export const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];

export const BROKER_CONFIGS: ConfigDef[] = [
  { name: 'node.id', type: 'int', default: 1, doc: 'The id of this broker (also accepted as broker.id).', validate: atLeast(0) },
  { name: 'broker.id', type: 'int', default: null, doc: 'Alias of node.id.', validate: (v) => (v === null || (typeof v === 'number' && v >= 0) ? null : 'must be at least 0') },
  { name: 'cluster.id', type: 'string', default: null, doc: 'Runnel: cluster id; generated on first start and kept in meta.properties when unset.' },
  { name: 'listeners', type: 'list', default: ['PLAINTEXT://127.0.0.1:9092'], doc: 'Where the broker listens. Port 0 picks a free port.', validate: listenerList },
  { name: 'advertised.listeners', type: 'list', default: null, doc: 'Addresses given to clients in Metadata; defaults to listeners.', validate: listenerList },
  {
    name: 'listener.security.protocol.map',
    type: 'list',
    reportedType: 'string',
    default: SECURITY_PROTOCOLS.map((p) => `${p}:${p}`),
    doc: 'Security protocol of each listener name, as NAME:PROTOCOL pairs (Kafka\'s default maps the four protocol names to themselves): PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. Startup stops if a listener name is not in the map.',
    validate: protocolMap,
  },
  { name: 'log.dirs', type: 'list', default: null, doc: 'Data directory (Runnel uses the first entry). Defaults to log.dir.' },
  { name: 'log.dir', type: 'string', reportedType: 'list', default: './data', doc: 'Data directory when log.dirs is unset. Runnel default: ./data.' },
  { name: 'logger.level', type: 'string', default: 'info', doc: 'Runnel: pino log level.', validate: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), dynamic: true },
  { name: 'num.partitions', type: 'int', default: 1, doc: 'Partitions of auto-created topics.', validate: atLeast(1) },
  { name: 'default.replication.factor', type: 'int', default: 1, doc: 'Replication factor of auto-created topics.', validate: atLeast(1) },
  { name: 'auto.create.topics.enable', type: 'boolean', default: true, doc: 'Create unknown topics when a client asks for their metadata.' },
  { name: 'delete.topic.enable', type: 'boolean', default: true, doc: 'Allow DeleteTopics.' },
  {
    name: 'runnel.transactional.id.pattern.max.length',
    type: 'int',
    default: 1024,
    doc: 'Longest transactional id pattern ListTransactions v2 accepts (KIP-1152); longer patterns are INVALID_REGULAR_EXPRESSION. Patterns run on a linear-time engine, so this bounds compile time and memory.',
    validate: atLeast(1),
  },
  {
    name: 'unstable.feature.versions.enable',
    type: 'boolean',
    default: false,
    doc: 'Also offer feature levels still in development (src/features/definitions.ts: above a feature\'s production level) to UpdateFeatures; new clusters still start at the production levels. For tests of unfinished features only.',
    undescribed: true, // internal in Kafka: DescribeConfigs does not list it
  },
  { name: 'socket.request.max.bytes', type: 'int', default: 104857600, doc: 'Largest request frame accepted; larger size prefixes close the connection before any allocation.', validate: atLeast(1) },
  { name: 'message.max.bytes', type: 'int', default: 1048588, doc: 'Largest record batch accepted (topic: max.message.bytes).', validate: atLeast(0), dynamic: true },
  { name: 'connections.max.idle.ms', type: 'long', default: 600000, doc: 'Idle connections are closed after this long.', validate: atLeast(-1) },
  { name: 'queued.max.requests', type: 'int', default: 500, doc: 'Requests read ahead per connection before the socket is paused.', validate: atLeast(1) },
  {
    name: 'queued.max.request.bytes',
    type: 'long',
    default: 268435456,
    doc: 'Request bytes received but not yet processed, across all connections; above it connections stop reading until memory is released (a frame reserves its full size when its size prefix arrives; the pool grants while any memory is left, so it overshoots by at most one frame; a frame up to 64 KiB alone on its connection is always read). -1 for no limit. Runnel default 256 MiB (Kafka: -1).',
    validate: (v) => (typeof v === 'number' && (v === -1 || v > 0) ? null : 'must be -1 or positive'),
  },
  {
    name: 'runnel.queued.max.request.bytes.per.connection',
    type: 'long',
    default: 16777216,
    doc: 'Runnel: request bytes one connection may have received but not processed; a further frame waits for its earlier requests to finish. A frame alone on its connection is always admitted (up to socket.request.max.bytes). -1 for no limit.',
    validate: (v) => (typeof v === 'number' && (v === -1 || v > 0) ? null : 'must be -1 or positive'),
  },
  {
    name: 'runnel.socket.unsent.response.max.bytes',
    type: 'int',
    default: 1048576,
    doc: 'Runnel: response bytes a client may leave unread (queued or in the socket buffer) before the broker stops reading its requests and starting new ones, until the socket drains (write backpressure). At least 64 KiB, above the socket buffer mark that signals a drain.',
    validate: atLeast(65536),
  },
  {
    name: 'runnel.socket.response.max.bytes',
    type: 'int',
    default: 104857600,
    doc: 'Runnel: the most bytes one response may hold in memory (Fetch records sent from files in place do not count). Some answers repeat what the broker holds once per request entry, as Kafka\'s do (DescribeGroups naming one group many times); a response over this is not built and its connection is closed.',
    validate: atLeast(1048576),
  },
  {
    name: 'runnel.request.receive.timeout.ms',
    type: 'int',
    default: 30000,
    doc: 'Runnel: a request frame that has started arriving must be complete within this time (a deadline for the whole frame, so trickling does not extend it; time the frame waits for request memory does not count), else the connection is closed. -1 disables.',
    validate: (v) => (typeof v === 'number' && (v === -1 || v > 0) ? null : 'must be -1 or positive'),
  },
  {
    name: 'socket.listen.backlog.size',
    type: 'int',
    default: 511,
    doc: 'Connections the kernel queues for the broker to accept; it also bounds how many one turn of the event loop accepts. Runnel default 511, Node\'s (Kafka: 50).',
    validate: atLeast(1),
  },
  {
    name: 'max.connections',
    type: 'int',
    default: 10000,
    doc: 'Connections the broker accepts across all listeners; further ones are closed at once. Runnel default 10000 (Kafka: 2147483647).',
    validate: atLeast(0),
    dynamic: true,
  },
  { name: 'max.connections.per.ip', type: 'int', default: 2147483647, doc: 'Connections accepted from one IP address; further ones are closed at once.', validate: atLeast(0), dynamic: true },
  {
    name: 'max.connections.per.ip.overrides',
    type: 'string',
    default: '',
    doc: 'Per-IP exceptions to max.connections.per.ip, as ip:count,ip:count. Runnel takes IP addresses only (Kafka also resolves host names).',
    validate: validateIpOverrides,
    dynamic: true,
  },
  {
    name: 'runnel.request.max.entries',
    type: 'int',
    default: 10000,
    doc: 'Runnel: the most entries one request may list (topic-partitions, topics, groups, config resources and keys, ids ...), counted over all its lists; a request over it closes the connection, as one over socket.request.max.bytes does. Bounds the work one request does on the event loop (10,000 fetched partitions: tens of ms). CreateTopics, DeleteTopics and CreatePartitions are not counted. Decoding is bounded too: a request whose lists and tagged fields hold more than 4 times this many elements is refused while it is decoded (connection closed).',
    validate: atLeast(1),
    dynamic: true,
  },
  // Fetch limits: what one Fetch may return and how long it may park.
  { name: 'fetch.max.bytes', type: 'int', default: 57671680, doc: 'The most bytes one Fetch response carries: caps the request\'s max_bytes (and min_bytes with it), yet the first partition with data still gets one whole batch (KIP-74). Must be at least 1024.', validate: atLeast(1024) },
  {
    name: 'runnel.fetch.max.wait.ms',
    type: 'int',
    default: 30000,
    doc: 'Runnel: the longest a Fetch waits for min_bytes; a larger max_wait_ms is cut to this (clients send 500 ms (Java, librdkafka) or 5 s (kafkajs); 30 s is the Java clients\' request.timeout.ms, past which no client still waits). An early answer with less data is always allowed by the protocol.',
    validate: atLeast(0),
    dynamic: true,
  },
  {
    name: 'runnel.fetch.zero.copy.enable',
    type: 'boolean',
    default: true,
    doc: 'Runnel: on plaintext listeners, send Fetch responses that are mostly records with sendfile(2) (the kernel copies page-cache pages to the socket) instead of reading them into buffers and writing those; needs the optional native binding that `npm ci`/`npm run build` compile when a C compiler and Node headers are present (native/build/), else the broker keeps the read+write path. The broker logs at start which path it uses. TLS listeners always read+write. A client that stops reading a zero-copy response is closed after connections.max.idle.ms, as on the read+write path; a segment truncated or deleted under a send closes the connection (the response size is already sent).',
  },
  { name: 'log.segment.bytes', type: 'int', default: 1073741824, doc: 'Segment size before a roll.', validate: atLeast(14), dynamic: true },
  { name: 'log.roll.ms', type: 'long', default: null, doc: 'Segment age before a roll; defaults to log.roll.hours.', dynamic: true },
  { name: 'log.roll.hours', type: 'int', default: 168, doc: 'Segment age before a roll, in hours.', validate: atLeast(1) },
  { name: 'log.retention.ms', type: 'long', default: null, doc: 'Age after which segments are deleted; -1 keeps forever. Defaults to log.retention.minutes/hours.', dynamic: true },
  { name: 'log.retention.minutes', type: 'int', default: null, doc: 'Retention in minutes, when log.retention.ms is unset.' },
  { name: 'log.retention.hours', type: 'int', default: 168, doc: 'Retention in hours, when log.retention.ms and .minutes are unset.' },
  { name: 'log.retention.bytes', type: 'long', default: -1, doc: 'Partition size above which old segments are deleted; -1 for no limit.', dynamic: true },
  { name: 'log.retention.check.interval.ms', type: 'long', default: 300000, doc: 'How often retention runs.', validate: atLeast(1) },
  {
    name: 'log.flush.offset.checkpoint.interval.ms',
    type: 'int',
    default: 60000,
    doc: 'How often the recovery-point, log-start-offset and cleaner checkpoints (and lagging leader-epoch-checkpoints) are written; 0 writes them only after recovery and at shutdown. A lower value shortens recovery after a crash.',
    validate: atLeast(0),
  },
  { name: 'log.index.interval.bytes', type: 'int', default: 4096, doc: 'Bytes between offset index entries.', validate: atLeast(0), dynamic: true },
  { name: 'log.index.size.max.bytes', type: 'int', default: 10485760, doc: 'Offset index size before a segment roll.', validate: atLeast(4), dynamic: true },
  {
    name: 'log.flush.interval.messages',
    type: 'long',
    default: 1,
    doc: 'Records appended before an fsync. Runnel default 1 (Kafka: never): every append is fsynced, appends in flight together share one fsync (group commit), and acks=all answers after the fsync.',
    validate: atLeast(1),
    dynamic: true,
  },
  { name: 'log.flush.interval.ms', type: 'long', default: null, doc: 'Max time data stays unflushed; unset means only log.flush.interval.messages decides.', dynamic: true },
  { name: 'log.cleanup.policy', type: 'list', default: ['delete'], doc: 'delete and/or compact.', validate: listOf('delete', 'compact'), dynamic: true },
  { name: 'log.cleaner.delete.retention.ms', type: 'long', default: MS_DAY, doc: 'How long tombstones survive compaction.', dynamic: true },
  { name: 'log.cleaner.min.compaction.lag.ms', type: 'long', default: 0, doc: 'Minimum age before a record may be compacted.', dynamic: true },
  { name: 'log.cleaner.max.compaction.lag.ms', type: 'long', default: Number.MAX_SAFE_INTEGER, doc: 'Maximum age before a record must be eligible for compaction.', dynamic: true },
  { name: 'log.cleaner.min.cleanable.ratio', type: 'double', default: 0.5, doc: 'Dirty ratio that triggers compaction.', validate: between(0, 1), dynamic: true },
  { name: 'log.cleaner.backoff.ms', type: 'long', default: 15000, doc: 'How often the cleaner looks for work.', validate: atLeast(0) },
  { name: 'log.segment.delete.delay.ms', type: 'long', default: 60000, doc: 'Delay before a .deleted segment is removed.', validate: atLeast(0), dynamic: true },
  { name: 'log.message.timestamp.type', type: 'string', default: 'CreateTime', doc: 'CreateTime or LogAppendTime.', validate: oneOf('CreateTime', 'LogAppendTime'), dynamic: true },
  { name: 'log.message.timestamp.before.max.ms', type: 'long', default: Number.MAX_SAFE_INTEGER, doc: 'How far a CreateTime timestamp may be behind the broker clock (KIP-937).', validate: atLeast(0), dynamic: true },
  { name: 'log.message.timestamp.after.max.ms', type: 'long', default: 3600000, doc: 'How far a CreateTime timestamp may be ahead of the broker clock (KIP-937; Kafka 4 default 1 hour).', validate: atLeast(0), dynamic: true },
  { name: 'log.message.timestamp.difference.max.ms', type: 'long', default: Number.MAX_SAFE_INTEGER, doc: 'Max difference between a CreateTime timestamp and the broker clock. Removed in Kafka 4 (use the before/after keys); Runnel still honours it.', dynamic: true },
  // Synonyms of topic keys Runnel accepts for compatibility only (no preallocation, no tiered storage).
  { name: 'log.preallocate', type: 'boolean', default: false, doc: 'Accepted for compatibility; Runnel does not preallocate segments.', dynamic: true },
  { name: 'log.local.retention.ms', type: 'long', default: -2, doc: 'Accepted for compatibility (tiered storage is not supported).', dynamic: true },
  { name: 'log.local.retention.bytes', type: 'long', default: -2, doc: 'Accepted for compatibility (tiered storage is not supported).', dynamic: true },
  { name: 'compression.type', type: 'string', default: 'producer', doc: 'Broker-wide compression of stored batches; producer keeps what the producer sent.', validate: oneOf(...COMPRESSION_TYPES), dynamic: true },
  { name: 'min.insync.replicas', type: 'int', default: 1, doc: 'Replicas that must acknowledge acks=all.', validate: atLeast(1), dynamic: true },
  {
    name: 'unclean.leader.election.enable',
    type: 'boolean',
    default: false,
    doc: 'In a cluster: when no in-sync replica of a partition is alive, elect an out-of-sync one as leader (records it lacks are lost) rather than leaving the partition offline. A single broker has no other replica.',
    dynamic: true,
  },
  // Replication throttles (Kafka's): kafka-reassign-partitions --throttle sets them on the brokers a
  // reassignment involves, --verify and --cancel delete them. The bytes/s bucket that enforces them
  // is src/replica/replication-throttle.ts; the replicas it applies to are the topic keys
  // leader/follower.replication.throttled.replicas.
  { name: 'leader.replication.throttled.rate', type: 'long', default: Number.MAX_SAFE_INTEGER, doc: 'In a cluster: the most bytes/s this broker, as leader, serves to followers of the replicas listed in their topic\'s leader.replication.throttled.replicas (followers outside the ISR only; Long.MAX_VALUE: no limit). Set dynamically per broker, as kafka-reassign-partitions --throttle does; keep it above 1 MB/s. Enforced by src/replica/replication-quotas.ts: a throttled partition gets no records while the rate is exceeded.', validate: atLeast(0), dynamic: true },
  { name: 'follower.replication.throttled.rate', type: 'long', default: Number.MAX_SAFE_INTEGER, doc: 'In a cluster: the most bytes/s this broker, as follower, fetches for the replicas listed in their topic\'s follower.replication.throttled.replicas while they are outside the ISR (Long.MAX_VALUE: no limit). Set dynamically per broker, as kafka-reassign-partitions --throttle does; keep it above 1 MB/s. Enforced by src/replica/replication-quotas.ts: a throttled partition is left out of the fetch while the rate is exceeded.', validate: atLeast(0), dynamic: true },
  { name: 'runnel.delete.records.max.timeout.ms', type: 'int', default: 60000, doc: "Runnel: the longest a DeleteRecords request waits, in a cluster, for every live replica's log start offset to reach the requested offset (Kafka's DelayedDeleteRecords); a larger timeout_ms is cut to this. Partitions not there by then answer REQUEST_TIMED_OUT (their records are deleted on the leader all the same).", validate: atLeast(0), dynamic: true },
  { name: 'replica.alter.log.dirs.io.max.bytes.per.second', type: 'long', default: Number.MAX_SAFE_INTEGER, doc: 'Accepted for compatibility (Runnel never moves replicas between log dirs).', validate: atLeast(0), dynamic: true },
  { name: 'offsets.topic.num.partitions', type: 'int', default: 50, doc: 'Partitions of __consumer_offsets.', validate: atLeast(1) },
  { name: 'offsets.topic.replication.factor', type: 'int', reportedType: 'short', default: 3, doc: 'Replication factor of __consumer_offsets (and of _schemas) when a cluster creates it, capped at the live brokers; a single node always uses 1.', validate: atLeast(1) },
  { name: 'offsets.topic.segment.bytes', type: 'int', default: 104857600, doc: 'Segment size of __consumer_offsets.', validate: atLeast(1) },
  { name: 'offsets.retention.minutes', type: 'int', default: 10080, doc: 'Committed offsets of empty groups expire after this long.', validate: atLeast(1) },
  { name: 'offsets.retention.check.interval.ms', type: 'long', default: 600000, doc: 'How often offset expiry runs.', validate: atLeast(1) },
  { name: 'offset.metadata.max.bytes', type: 'int', default: 4096, doc: 'Largest metadata string of a committed offset.', validate: atLeast(0) },
  { name: 'offsets.commit.timeout.ms', type: 'int', default: 5000, doc: 'How long an offset commit waits for its write.', validate: atLeast(1) },
  { name: 'group.initial.rebalance.delay.ms', type: 'int', default: 3000, doc: 'Delay of the first rebalance of an empty group, to let more members join.', validate: atLeast(0) },
  { name: 'group.min.session.timeout.ms', type: 'int', default: 6000, doc: 'Smallest session timeout a member may ask for.', validate: atLeast(0) },
  { name: 'group.max.session.timeout.ms', type: 'int', default: 1800000, doc: 'Largest session timeout a member may ask for.', validate: atLeast(0) },
  {
    name: 'runnel.group.max.member.metadata.bytes',
    type: 'int',
    default: 1048576,
    doc: 'Runnel: the most protocol metadata (subscriptions, all protocols of one JoinGroup together) a group member may have; it is kept while the member is in the group. Above it the JoinGroup gets INVALID_REQUEST.',
    validate: atLeast(1024),
    dynamic: true,
  },
  {
    name: 'runnel.group.members.max.bytes',
    type: 'int',
    default: 134217728,
    doc: 'Runnel: the most bytes all group members of this broker together may keep while they stay (classic protocol metadata, consumer- and share-group subscribed topic names and regexes; estimated). A JoinGroup or a heartbeat that would keep more gets GROUP_MAX_SIZE_REACHED; members already in are not affected.',
    validate: atLeast(1048576),
    dynamic: true,
  },
  { name: 'group.max.size', type: 'int', default: 2147483647, doc: 'Largest number of members in a group.', validate: atLeast(1) },
  // The consumer group protocol (KIP-848): ConsumerGroupHeartbeat, server-side assignment.
  ...CONSUMER_GROUP_CONFIGS,
  { name: 'transactional.id.expiration.ms', type: 'int', default: 604800000, doc: 'Idle transactional ids expire after this long.', validate: atLeast(1) },
  { name: 'transaction.max.timeout.ms', type: 'int', default: 900000, doc: 'Largest transaction timeout a producer may ask for.', validate: atLeast(1) },
  { name: 'transaction.state.log.num.partitions', type: 'int', default: 50, doc: 'Partitions of __transaction_state.', validate: atLeast(1) },
  { name: 'transaction.state.log.replication.factor', type: 'int', reportedType: 'short', default: 3, doc: 'Replication factor of __transaction_state when a cluster creates it, capped at the live brokers; a single node always uses 1.', validate: atLeast(1) },
  { name: 'transaction.state.log.segment.bytes', type: 'int', default: 104857600, doc: 'Segment size of __transaction_state.', validate: atLeast(1) },
  { name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', type: 'int', default: 10000, doc: 'How often transactions that outlived their timeout are aborted.', validate: atLeast(1) },
  { name: 'transaction.remove.expired.transaction.cleanup.interval.ms', type: 'int', default: 3600000, doc: 'How often transactional ids idle longer than transactional.id.expiration.ms are removed.', validate: atLeast(1) },
  { name: 'producer.id.expiration.ms', type: 'int', default: 86400000, doc: 'Idle producer ids expire after this long.', validate: atLeast(1) },
  {
    name: 'request.timeout.ms',
    type: 'int',
    default: 30000,
    doc: 'Longest the transaction coordinator waits for one of its writes to be acknowledged with acks=all (a __transaction_state record, or a transaction marker appended here), as Kafka\'s coordinator appends with it; then the request gets COORDINATOR_NOT_AVAILABLE (a state write) or the marker is retried.',
    validate: atLeast(1),
  },
  {
    name: 'runnel.produce.max.decompressed.bytes',
    type: 'int',
    default: 33554432,
    doc: 'Runnel: largest size a produced compressed batch may decompress to (producers bound their batches before compression: Java batch.size 16 KiB, librdkafka 1 MiB) (every produced batch is decompressed once to validate its records, as Kafka does); a larger one is refused with MESSAGE_TOO_LARGE, which makes Java producers split the batch. Guards against decompression bombs.',
    validate: atLeast(1024),
  },
  { name: 'runnel.max.open.files', type: 'int', default: 1000, doc: 'Runnel: segment file descriptors kept open (LRU).', validate: atLeast(16) },
  {
    name: 'runnel.log.dir.min.free.bytes',
    type: 'long',
    default: 67108864,
    doc: 'Runnel: produce is refused with KAFKA_STORAGE_ERROR (retriable) while the data dir has less free space than this, and resumes when space returns; it should cover what producers write within one check interval. 0 disables the check.',
    validate: atLeast(0),
  },
  {
    name: 'runnel.log.dir.free.space.check.interval.ms',
    type: 'long',
    default: 1000,
    doc: 'Runnel: how often the free space of the data dir is read (one asynchronous statfs).',
    validate: atLeast(1),
  },
  {
    name: 'runnel.max.partitions.per.request',
    type: 'int',
    default: 10000,
    doc: "Runnel: most partitions one CreateTopics, CreatePartitions or auto-creating Metadata request may add (Kafka's fixed MAX_PARTITIONS_PER_BATCH). More: POLICY_VIOLATION for every topic of the request.",
    validate: atLeast(1),
  },
  {
    name: 'runnel.max.partitions.per.topic',
    type: 'int',
    default: 10000,
    doc: 'Runnel: most partitions a topic may have (CreateTopics, CreatePartitions). More: INVALID_PARTITIONS. The internal topics are sized by their own keys.',
    validate: atLeast(1),
  },
  {
    name: 'runnel.max.partitions',
    type: 'int',
    default: 100000,
    doc: 'Runnel: partitions the broker may hold over all topics (internal ones count, but are always created); CreateTopics, CreatePartitions and auto-creation beyond it get POLICY_VIOLATION. Each partition costs about 12 KiB of memory, a directory and open files when used. Kafka has no such cap.',
    validate: atLeast(1),
    dynamic: true,
  },
  {
    name: 'runnel.max.auto.created.topics.per.request',
    type: 'int',
    default: 100,
    doc: 'Runnel: most unknown topics one Metadata request auto-creates (auto.create.topics.enable); the rest are answered LEADER_NOT_AVAILABLE, so clients retry and create them with their next request.',
    validate: atLeast(1),
  },
  {
    name: 'runnel.max.config.value.bytes',
    type: 'int',
    default: 65536,
    doc: 'Runnel: longest config name or value accepted by CreateTopics, AlterConfigs and IncrementalAlterConfigs (topic and dynamic broker configs). Longer: INVALID_CONFIG.',
    validate: atLeast(256),
  },
  {
    name: 'runnel.admin.listener',
    type: 'string',
    default: null,
    doc: 'Runnel: host:port of the admin HTTP endpoint (GET /metrics, /ready, /health). Unset: 127.0.0.1:9644, or a free port when the first listener uses port 0, and a busy default port only warns; none (or empty) disables it.',
    validate: (v) => (v === null || /^\s*(none)?\s*$/i.test(String(v)) || /^(\[[^\]]+\]|[^:]*):\d{1,5}$/.test(String(v).trim()) ? null : 'must be host:port, or none'),
  },
  {
    name: 'runnel.schema.registry.listener',
    type: 'string',
    default: null,
    doc: 'Runnel: host:port of the schema registry REST API (Confluent-compatible). Unset: 127.0.0.1:8081, or a free port when the first listener uses port 0, and a busy default port only warns; none (or empty) disables the REST API (schemas and produce validation stay on).',
    validate: (v) => (v === null || /^\s*(none)?\s*$/i.test(String(v)) || /^(\[[^\]]+\]|[^:]*):\d{1,5}$/.test(String(v).trim()) ? null : 'must be host:port, or none'),
  },
  {
    name: 'runnel.schema.registry.max.request.bytes',
    type: 'int',
    default: 1048576,
    doc: 'Runnel: largest schema registry request body; a larger one is answered with HTTP 413 (error_code 413) and the connection closed. Confluent stores schemas in _schemas records, which Kafka\'s 1 MB max.request.size bounds the same way.',
    validate: atLeast(1024),
  },
  {
    name: 'runnel.schema.registry.max.schema.bytes',
    type: 'int',
    default: 1048576,
    doc: 'Runnel: largest schema text plus the texts of the schemas it references (parsed together); larger is an invalid schema (HTTP 422, error_code 42201).',
    validate: atLeast(1024),
  },
  {
    name: 'runnel.schema.registry.max.schema.fields',
    type: 'int',
    default: 10000,
    doc: 'Runnel: most record fields, enum symbols and union branches in a schema and its references together (parsing costs ~15 µs each); more is an invalid schema (HTTP 422, error_code 42201).',
    validate: atLeast(1),
  },
  {
    name: 'runnel.schema.registry.max.schema.depth',
    type: 'int',
    default: 128,
    doc: 'Runnel: deepest nesting of JSON objects and arrays in a schema text (a record nested in a record field takes 3 levels, 4 inside a union); deeper is an invalid schema (HTTP 422, error_code 42201).',
    validate: between(2, 1000),
  },
  {
    name: 'runnel.schema.registry.parse.timeout.ms',
    type: 'int',
    default: 10000,
    doc: 'Runnel: longest a schema may take to parse and check for compatibility (in the registry\'s parsing thread); a longer one is stopped and answered as an invalid schema (HTTP 422, error_code 42201).',
    validate: atLeast(10),
  },
  {
    name: 'runnel.schema.registry.store.timeout.ms',
    type: 'int',
    default: 10000,
    doc: 'Runnel: longest the schema registry on the leader of _schemas partition 0 waits to have read the topic up to its end before deciding a write (a broker that just became leader), for its write to be acknowledged (acks=all) and for it to be read back; then the write is answered HTTP 500, error_code 50001 (not acknowledged) or 50002 (Confluent\'s operation timeout). A broker that forwarded a write waits as long to read it back before answering.',
    validate: atLeast(10),
  },
  {
    name: 'runnel.schema.registry.forward.timeout.ms',
    type: 'int',
    default: 30000,
    doc: 'Runnel, cluster mode: longest a broker that does not lead _schemas partition 0 waits for the leader\'s schema registry to answer a write it forwarded (registration, deletion, config, mode); then HTTP 500, error_code 50003 (Confluent\'s request forwarding failed).',
    validate: atLeast(10),
  },
  {
    name: 'runnel.metrics.max.label.values',
    type: 'int',
    default: 1000,
    doc: 'Runnel: most topics and most consumer groups one /metrics family reports (clients choose both names). Per-topic counters fold further topics into topic="(other)"; gauges leave further topics and groups out (groups with members first); runnel_metrics_label_values_omitted counts them.',
    validate: atLeast(1),
  },
  {
    name: 'runnel.metrics.max.partition.series',
    type: 'int',
    default: 10000,
    doc: 'Runnel: most per-partition series one /metrics family reports (per topic partition, per group and partition); runnel_metrics_series_omitted counts the rest.',
    validate: atLeast(1),
  },
  { name: 'runnel.shutdown.timeout.ms', type: 'int', default: 7000, doc: 'Runnel: longest graceful shutdown before connections are cut.', validate: atLeast(0) },
  ...CLUSTER_CONFIGS,
  ...TLS_CONFIGS, ...SASL_CONFIGS, ...ACL_CONFIGS, ...QUOTA_CONFIGS, ...SHARE_GROUP_CONFIGS,
];

/** Kafka keys that Runnel accepts so an existing server.properties starts, but that have no effect. */
export const IGNORED_BROKER_KEYS = [
  'num.network.threads',
  'num.io.threads',
  'num.replica.fetchers',
  'num.recovery.threads.per.data.dir',
  'background.threads',
  'socket.send.buffer.bytes',
  'socket.receive.buffer.bytes',
  'process.roles',
  'controller.quorum.voters',
  'controller.quorum.bootstrap.servers',
  'controller.listener.names',
  'transaction.state.log.min.isr',
  'zookeeper.connect',
  'zookeeper.connection.timeout.ms',
  'log.cleaner.enable',
  'log.cleaner.threads',
  'group.coordinator.rebalance.protocols',
  // Consumer groups (KIP-848): Runnel computes target assignments and resolves regexes at once,
  // inline.
  'group.consumer.assignment.interval.ms',
  'group.consumer.min.assignment.interval.ms',
  'group.consumer.max.assignment.interval.ms',
  'group.consumer.assignor.offload.enable',
  'group.consumer.regex.refresh.interval.ms',
  'share.coordinator.state.topic.replication.factor',
  'share.coordinator.state.topic.min.isr',
  'metadata.log.dir',
];

export const TOPIC_CONFIGS: TopicConfigDef[] = [
  { name: 'cleanup.policy', type: 'list', default: ['delete'], brokerSynonym: 'log.cleanup.policy', doc: 'delete and/or compact.', validate: listOf('delete', 'compact') },
  { name: 'compression.type', type: 'string', default: 'producer', brokerSynonym: 'compression.type', doc: 'Compression of stored batches.', validate: oneOf(...COMPRESSION_TYPES) },
  { name: 'delete.retention.ms', type: 'long', default: MS_DAY, brokerSynonym: 'log.cleaner.delete.retention.ms', doc: 'How long tombstones survive compaction.', validate: atLeast(0) },
  { name: 'file.delete.delay.ms', type: 'long', default: 60000, brokerSynonym: 'log.segment.delete.delay.ms', doc: 'Delay before a deleted segment is removed.', validate: atLeast(0) },
  { name: 'flush.messages', type: 'long', default: 1, brokerSynonym: 'log.flush.interval.messages', doc: 'Records between fsyncs (Runnel default 1).', validate: atLeast(1) },
  { name: 'flush.ms', type: 'long', default: Number.MAX_SAFE_INTEGER, brokerSynonym: 'log.flush.interval.ms', doc: 'Max time between fsyncs.', validate: atLeast(0) },
  { name: 'index.interval.bytes', type: 'int', default: 4096, brokerSynonym: 'log.index.interval.bytes', doc: 'Bytes between offset index entries.', validate: atLeast(0) },
  { name: 'max.compaction.lag.ms', type: 'long', default: Number.MAX_SAFE_INTEGER, brokerSynonym: 'log.cleaner.max.compaction.lag.ms', doc: 'Max age before compaction is due.', validate: atLeast(1) },
  { name: 'max.message.bytes', type: 'int', default: 1048588, brokerSynonym: 'message.max.bytes', doc: 'Largest record batch accepted.', validate: atLeast(0) },
  { name: 'errors.deadletterqueue.group.enable', type: 'boolean', default: false, doc: 'KIP-1191: whether share groups may use this topic as their dead-letter topic (errors.deadletterqueue.topic.name); records are archived without a copy otherwise.' },
  { name: 'message.timestamp.type', type: 'string', default: 'CreateTime', brokerSynonym: 'log.message.timestamp.type', doc: 'CreateTime or LogAppendTime.', validate: oneOf('CreateTime', 'LogAppendTime') },
  { name: 'message.timestamp.before.max.ms', type: 'long', default: Number.MAX_SAFE_INTEGER, brokerSynonym: 'log.message.timestamp.before.max.ms', doc: 'How far a CreateTime timestamp may be behind the broker clock.', validate: atLeast(0) },
  { name: 'message.timestamp.after.max.ms', type: 'long', default: 3600000, brokerSynonym: 'log.message.timestamp.after.max.ms', doc: 'How far a CreateTime timestamp may be ahead of the broker clock.', validate: atLeast(0) },
  { name: 'message.timestamp.difference.max.ms', type: 'long', default: Number.MAX_SAFE_INTEGER, brokerSynonym: 'log.message.timestamp.difference.max.ms', doc: 'Max CreateTime skew. Removed in Kafka 4; Runnel still honours it.', validate: atLeast(0) },
  { name: 'min.cleanable.dirty.ratio', type: 'double', default: 0.5, brokerSynonym: 'log.cleaner.min.cleanable.ratio', doc: 'Dirty ratio that triggers compaction.', validate: between(0, 1) },
  { name: 'min.compaction.lag.ms', type: 'long', default: 0, brokerSynonym: 'log.cleaner.min.compaction.lag.ms', doc: 'Min age before compaction.', validate: atLeast(0) },
  { name: 'min.insync.replicas', type: 'int', default: 1, brokerSynonym: 'min.insync.replicas', doc: 'Replicas that must acknowledge acks=all.', validate: atLeast(1) },
  { name: 'retention.bytes', type: 'long', default: -1, brokerSynonym: 'log.retention.bytes', doc: 'Partition size limit; -1 for none.' },
  { name: 'retention.ms', type: 'long', default: 604800000, brokerSynonym: 'log.retention.ms', doc: 'Age limit; -1 for none.', validate: atLeast(-1) },
  { name: 'segment.bytes', type: 'int', default: 1073741824, brokerSynonym: 'log.segment.bytes', doc: 'Segment size before a roll.', validate: atLeast(14) },
  { name: 'segment.index.bytes', type: 'int', default: 10485760, brokerSynonym: 'log.index.size.max.bytes', doc: 'Index size before a roll.', validate: atLeast(4) },
  { name: 'segment.jitter.ms', type: 'long', default: 0, doc: 'Random jitter subtracted from segment.ms.', validate: atLeast(0) },
  { name: 'segment.ms', type: 'long', default: 604800000, brokerSynonym: 'log.roll.ms', doc: 'Segment age before a roll.', validate: atLeast(1) },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: false, brokerSynonym: 'unclean.leader.election.enable', doc: 'Allow out-of-sync leaders.' },
  { name: 'message.downconversion.enable', type: 'boolean', default: true, doc: 'Accepted for compatibility; Runnel never down-converts.' },
  { name: 'preallocate', type: 'boolean', default: false, brokerSynonym: 'log.preallocate', doc: 'Accepted for compatibility; Runnel does not preallocate segments.' },
  { name: 'local.retention.ms', type: 'long', default: -2, brokerSynonym: 'log.local.retention.ms', doc: 'Accepted for compatibility (tiered storage is not supported).' },
  { name: 'local.retention.bytes', type: 'long', default: -2, brokerSynonym: 'log.local.retention.bytes', doc: 'Accepted for compatibility (tiered storage is not supported).' },
  { name: 'remote.storage.enable', type: 'boolean', default: false, doc: 'Accepted for compatibility; must stay false.', validate: (v) => (v === false ? null : 'tiered storage is not supported') },
  { name: 'message.format.version', type: 'string', default: '3.0-IV1', doc: 'Accepted for compatibility; Runnel always stores RecordBatch v2.' },
  { name: 'follower.replication.throttled.replicas', type: 'list', default: [], doc: "Replicas of this topic whose fetching is throttled on the follower side (follower.replication.throttled.rate of the follower broker): [PartitionId]:[BrokerId],... or '*' for all.", validate: throttledReplicasProblem },
  { name: 'leader.replication.throttled.replicas', type: 'list', default: [], doc: "Replicas of this topic whose replication is throttled on the leader side (leader.replication.throttled.rate of the leader broker): [PartitionId]:[BrokerId],... or '*' for all.", validate: throttledReplicasProblem },
  { name: 'confluent.value.schema.validation', type: 'boolean', default: false, doc: 'Validate record values against the subject <topic>-value in the schema registry (Confluent name).' },
  { name: 'confluent.key.schema.validation', type: 'boolean', default: false, doc: 'Validate record keys against the subject <topic>-key in the schema registry (Confluent name).' },
  { name: 'confluent.value.subject.name.strategy', type: 'string', default: SUBJECT_STRATEGY_DEFAULT, doc: 'Subject of validated values: TopicNameStrategy (<topic>-value), RecordNameStrategy (<record full name>) or TopicRecordNameStrategy (<topic>-<record full name>); Confluent class names accepted.', validate: subjectStrategy },
  { name: 'confluent.key.subject.name.strategy', type: 'string', default: SUBJECT_STRATEGY_DEFAULT, doc: 'Subject of validated keys: TopicNameStrategy (<topic>-key), RecordNameStrategy or TopicRecordNameStrategy; Confluent class names accepted.', validate: subjectStrategy },
];

export const BROKER_CONFIG_BY_NAME = new Map(BROKER_CONFIGS.map((d) => [d.name, d]));
export const TOPIC_CONFIG_BY_NAME = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));
