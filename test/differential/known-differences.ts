/**
 * Every difference between Runnel and Apache Kafka that the differential tests observe, with why
 * it is so. The tests fail on a difference that is not listed here and on an entry that no longer
 * shows. README.md's "Differences from Apache Kafka" section is rendered from this list
 * (known-differences.test.ts checks it is current; `npx tsx test/differential/known-differences.ts
 * --write-readme` rewrites it).
 *
 * `where` says where the tests see it: a scenario (the first argument of expectSame) and a path
 * into the observation (`*` within one segment, `**` any number of segments), optionally with the
 * value each side shows (ABSENT: the key is missing on that side) or a predicate over both.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The value of a key one side does not have. */
export const ABSENT = '<absent>';

export interface Where {
  scenario: string;
  path: string;
  runnel?: unknown;
  kafka?: unknown;
  /** Further condition on the two values. */
  when?: (runnel: unknown, kafka: unknown) => boolean;
  /** Shows only against a freshly started Kafka (not one reused with RUNNEL_APACHE_KAFKA). */
  freshOnly?: boolean;
}

export interface KnownDifference {
  id: string;
  /** What a user sees differ (one line, also in the README). */
  what: string;
  /** Why it is so. */
  why: string;
  where: Where[];
}

/** 'min-max' version ranges on both sides, compared with `test`. */
function ranges(test: (r: [number, number], k: [number, number]) => boolean): Where['when'] {
  return (runnel, kafka) => {
    const parse = (v: unknown): [number, number] | null => (typeof v === 'string' && /^\d+-\d+$/.test(v) ? (v.split('-').map(Number) as [number, number]) : null);
    const r = parse(runnel);
    const k = parse(kafka);
    return r !== null && k !== null && test(r, k);
  };
}

/** APIs (by key) Runnel does not serve, as paths of the api-versions observation. */
function apis(...keys: number[]): Where[] {
  return keys.map((key) => ({ scenario: 'api-versions', path: `apis/${key} *`, runnel: ABSENT }));
}

function features(...names: string[]): Where[] {
  return names.map((name) => ({ scenario: 'api-versions', path: `*Features/${name}`, runnel: ABSENT }));
}

/** Runnel explains an error in error_message where Kafka leaves it empty. */
function messages(...scenarios: string[]): Where[] {
  return scenarios.map((scenario) => ({ scenario, path: '**/errorMessage', runnel: '<set>', kafka: null }));
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  // ---- API versions -------------------------------------------------------------------------
  {
    id: 'newer-api-versions',
    what: 'For some APIs Runnel\'s newest version is older than Kafka 4.4\'s (e.g. ApiVersions 4 vs 5, DescribeGroups 5 vs 6, DeleteGroups 2 vs 3, DescribeLogDirs 4 vs 5, AlterPartitionReassignments 0 vs 1, and the KIP-890 transaction APIs).',
    why: 'Clients negotiate down to the newest version both sides know; the newer versions add features Runnel does not have yet (KIP-848 group types, KIP-890 transactions, reassignment options).',
    where: [{ scenario: 'api-versions', path: 'apis/*', when: ranges((r, k) => r[1] < k[1] && r[0] <= k[0]) }],
  },
  {
    id: 'old-api-versions',
    what: 'Runnel still serves old versions Kafka 4 removed (KIP-896): Produce v0-2 (message format v0/v1 converted on the way in), Fetch v0-3, ListOffsets v0, OffsetCommit v0-1, OffsetFetch v0, CreateTopics v0-1, DeleteTopics v0, OffsetForLeaderEpoch v0-1, DescribeAcls/CreateAcls/DeleteAcls v0, DescribeConfigs v0, DescribeLogDirs v0.',
    why: 'Old clients still in use (kafka-python 2.0.2, sarama 1.22, Debian\'s librdkafka) speak them.',
    where: [
      { scenario: 'api-versions', path: 'apis/*', when: ranges((r, k) => r[0] < k[0] && r[1] <= k[1]) },
      { scenario: 'list-offsets', path: 'v0', kafka: 'connection closed' },
      ...['offsetCommitV1', 'offsetFetchV0', 'fetchV3', 'createTopicsV0', 'deleteTopicsV0'].map((path) => ({ scenario: 'unsupported-versions', path, runnel: 'answered', kafka: 'connection closed' })),
    ],
  },
  {
    id: 'share-offsets-start',
    what: 'DescribeShareGroupOffsets answers the share-partition start offset as it is now (past records already acknowledged at the start) and, for a share partition initialised but with nothing delivered yet, its start offset and lag; Kafka 4.4 answers the start offset its share coordinator last persisted (it trails behind acknowledgements) and -1 before the first write. The lag is the same.',
    why: 'Runnel persists every change before it answers, so its current start offset is also its persisted one.',
    where: [
      { scenario: 'share-admin', path: 'withMember/0/topics/0/partitions/0/start', when: (r, k) => typeof r === 'number' && typeof k === 'number' && r >= k },
      { scenario: 'share-admin', path: 'withMember/0/topics/0/partitions/1/*', kafka: -1 },
      { scenario: 'share-admin', path: 'withMemberSome/0/topics/0/partitions/0/*', kafka: -1 },
    ],
  },
  {
    id: 'share-group-epoch',
    what: 'A share group\'s epoch counts membership, subscription and topic changes only; Kafka 4.4 also bumps it while it initialises the share partitions of a new subscription (3 where Runnel says 1 after one member joined and fetched).',
    why: 'Runnel initialises a share partition on its first fetch, without a group epoch change.',
    // The epochs that follow the group epoch differ by as much: the target assignment epoch (record
    // type 12), the member's epoch and previous epoch (type 14), the epochs after the member left.
    where: [
      ...['groupRecords/metadata/epoch', 'groupRecords/targetMetadata/epoch', 'groupRecords/current/*/epoch', 'groupRecords/current/*/previous', 'groupRecordsAfterLeave/metadata/epoch', 'groupRecordsAfterLeave/targetMetadata/epoch'].map((path) => ({
        scenario: 'share-admin',
        path,
        when: (r: unknown, k: unknown) => typeof r === 'number' && typeof k === 'number' && r <= k,
      })),
    ],
  },
  {
    id: 'no-streams-groups',
    what: 'No streams groups (KIP-1071: StreamsGroupHeartbeat, StreamsGroupDescribe, StreamsGroupTopologyDescriptionUpdate; streams.version feature).',
    why: 'Not implemented; Kafka Streams uses the classic protocol against Runnel.',
    where: [...apis(88, 89, 93), ...features('streams.version')],
  },
  {
    id: 'no-kraft',
    what: 'No KRaft quorum: DescribeQuorum, UnregisterBroker, Add/RemoveRaftVoter and UnregisterController are not served; metadata.version is fixed at 4.4-IV2 (Kafka supports 3.3-IV3 to 4.4-IV2) and kraft.version is not listed.',
    why: 'Runnel keeps its metadata in its own file (or etcd), not in a KRaft log: there is one metadata format and no quorum to describe or change.',
    where: [...apis(55, 64, 80, 81, 94), { scenario: 'api-versions', path: 'supportedFeatures/metadata.version', runnel: '33-33', kafka: '7-33' }],
  },
  {
    id: 'no-eligible-leader-replicas',
    what: 'The eligible.leader.replicas.version feature stays at 0 (KIP-966 ELR is not implemented).',
    why: 'Leaders are elected from the ISR only; DescribeTopicPartitions shows empty ELR lists.',
    where: features('eligible.leader.replicas.version'),
  },
  {
    id: 'no-delegation-tokens',
    what: 'No delegation tokens (Create/Renew/Expire/DescribeDelegationToken).',
    why: 'Not implemented: SASL serves PLAIN, SCRAM and OAUTHBEARER, without token authentication.',
    where: apis(38, 39, 40, 41),
  },
  {
    id: 'no-alter-replica-log-dirs',
    what: 'AlterReplicaLogDirs is not served.',
    why: 'Runnel has one data directory.',
    where: apis(34),
  },
  // ---- requests and answers -----------------------------------------------------------------
  {
    id: 'produce-v0-v2-answered',
    what: 'A Produce v0-v2 request is served like v3+ (message format v0/v1 converted to a RecordBatch v2 first), so a topic that does not exist gets UNKNOWN_TOPIC_OR_PARTITION; Kafka 4.4 advertises v0 but closes the connection.',
    why: 'Both advertise v0 (librdkafka enables compression only then); producers still shipped by distributions send v0-v2 (sarama 1.22 with its default config), which Kafka 2.x served.',
    where: [{ scenario: 'unsupported-versions', path: 'produceV2', runnel: [['UNKNOWN_TOPIC_OR_PARTITION']], kafka: 'connection closed' }],
  },
  {
    id: 'produce-null-records',
    what: 'A Produce whose record set is null gets INVALID_RECORD; Kafka 4.4 never answers it (a NullPointerException in the broker).',
    why: 'Kafka\'s behaviour is a bug; answering lets the client fail fast.',
    where: [{ scenario: 'produce-errors', path: 'nullRecords', kafka: 'no answer' }],
  },
  {
    id: 'compressed-record-lengths-checked',
    what: 'A compressed batch whose record length prefix disagrees with the record\'s fields gets INVALID_RECORD; Kafka 4.4 stores it.',
    why: 'Kafka\'s in-place path for compressed batches skips keys and values by their own lengths without checking the record length, so it stores a batch its consumers cannot read; Runnel checks every record as Kafka does for uncompressed batches.',
    where: [
      ...['lengthPastEnd', 'lengthShort'].flatMap((k) => [
        { scenario: 'produce-malformed-records', path: `*/${k}/errorCode`, runnel: 'INVALID_RECORD', kafka: 'NONE' },
        { scenario: 'produce-malformed-records', path: `*/${k}/baseOffset`, runnel: -1, kafka: 'assigned' },
      ]),
      { scenario: 'produce-malformed-records', path: 'endOffset', runnel: 0 },
    ],
  },
  {
    id: 'invalid-record-not-server-error',
    what: 'Records Kafka 4.4 fails on with UNKNOWN_SERVER_ERROR get INVALID_RECORD: a varint longer than 5 bytes in an uncompressed batch, a snappy, lz4 or zstd payload that does not decompress, offset deltas with gaps in a compressed batch.',
    why: 'Kafka fails on an unhandled exception there (it answers INVALID_RECORD for the same problems elsewhere, e.g. a gzip payload); the batch is invalid, and INVALID_RECORD tells the producer not to retry it.',
    where: [
      { scenario: 'produce-malformed-records', path: 'none/varintTooLong/errorCode', runnel: 'INVALID_RECORD', kafka: 'UNKNOWN_SERVER_ERROR' },
      { scenario: 'produce-odd-records', path: 'garbagePayload/*/errorCode', runnel: 'INVALID_RECORD', kafka: 'UNKNOWN_SERVER_ERROR' },
      { scenario: 'produce-odd-records', path: 'gapsGzip/errorCode', runnel: 'INVALID_RECORD', kafka: 'UNKNOWN_SERVER_ERROR' },
    ],
  },
  {
    id: 'record-offset-gaps-refused',
    what: 'An uncompressed batch whose records\' offset deltas are not 0, 1, 2, ... gets INVALID_RECORD; Kafka 4.4 stores it as sent.',
    why: 'Consumers would read such records at other offsets than the broker assigned (and Kafka refuses or rewrites the same batch when it is compressed); every producer writes consecutive deltas.',
    where: [
      { scenario: 'produce-odd-records', path: 'gapsNone/errorCode', runnel: 'INVALID_RECORD', kafka: 'NONE' },
      { scenario: 'produce-odd-records', path: 'gapsNone/baseOffset', runnel: -1, kafka: 'assigned' },
    ],
  },
  {
    id: 'negative-key-length-refused',
    what: 'A record whose key or value length is below -1 gets INVALID_RECORD; Kafka 4.4 reads any negative length as null and stores it.',
    why: 'Only -1 means null in the record format; clients other than Java\'s may not read the other values as null.',
    where: [
      { scenario: 'produce-odd-records', path: 'keyLengthMinus5/errorCode', runnel: 'INVALID_RECORD', kafka: 'NONE' },
      { scenario: 'produce-odd-records', path: 'keyLengthMinus5/baseOffset', runnel: -1, kafka: 'assigned' },
    ],
  },
  {
    id: 'consumer-group-epoch-numbers',
    what: 'Consumer groups (KIP-848): the group and member epochs are lower than Kafka 4.4\'s for the same steps: a new group\'s first epoch is 1 (Kafka: 2), and resolving a regex subscription bumps no extra epoch.',
    why: 'Runnel bumps the group epoch once per change and resolves regexes inline with the heartbeat; Kafka resolves them asynchronously, which is a change of its own. Clients only compare epochs for equality.',
    where: [
      ...['**/epoch', '**/groupEpoch', '**/assignmentEpoch'].map((path) => ({ scenario: 'consumer-groups/heartbeat', path, when: (r: unknown, k: unknown) => typeof r === 'number' && typeof k === 'number' && k > r && r >= 0 })),
      ...['fencedHigher/message', 'fencedLower/message'].map((path) => ({ scenario: 'consumer-groups/heartbeat', path, when: (r: unknown, k: unknown) => typeof r === 'string' && typeof k === 'string' && r.replace(/\d+/g, 'N') === k.replace(/\d+/g, 'N') })),
    ],
  },
  {
    id: 'consumer-group-regex-error-detail',
    what: 'An invalid subscription regex is INVALID_REGULAR_EXPRESSION on both, but Kafka\'s message ends with RE2/J\'s own explanation (": missing closing )").',
    why: 'Runnel compiles regexes with V8\'s linear-time engine, whose error texts differ from RE2/J\'s; the code and the first part of the message are Kafka\'s.',
    where: [{ scenario: 'consumer-groups/heartbeat', path: 'invalid.badRegex/message', when: (r, k) => typeof r === 'string' && typeof k === 'string' && k.startsWith(r.slice(0, -1)) }],
  },
  {
    id: 'consumer-group-authorized-operations',
    what: 'ConsumerGroupDescribe\'s authorized operations of a group (no authorizer) are READ, DELETE and DESCRIBE; Kafka also lists DESCRIBE_CONFIGS and ALTER_CONFIGS.',
    why: 'Runnel has no group-level configs (KIP-848\'s group configs) yet, so it does not offer operations on them.',
    where: [{ scenario: 'consumer-groups/heartbeat', path: '*/ops', runnel: 328, kafka: 3400 }],
  },
  {
    id: 'group-coordinator-ready-at-once',
    what: 'The first FindCoordinator on a new broker is answered with the coordinator; a fresh Kafka answers COORDINATOR_NOT_AVAILABLE until it has created __consumer_offsets (then COORDINATOR_LOAD_IN_PROGRESS while it loads it).',
    why: 'Runnel loads __consumer_offsets at startup, before it listens; clients retry either way.',
    where: [{ scenario: 'group/coordinator', path: 'first/*', freshOnly: true, when: (_r, k) => k === 'COORDINATOR_NOT_AVAILABLE' || k === -1 || k === '' }],
  },
  {
    id: 'share-coordinator-ready-at-once',
    what: 'The first FindCoordinator v6 for a share-partition key (key type 2) is answered with the share coordinator; Kafka answers COORDINATOR_NOT_AVAILABLE until it has created __share_group_state.',
    why: 'Runnel creates __share_group_state within the request and waits for its partitions to be led; the broker asking retries either way.',
    where: [{ scenario: 'newer-versions/admin', path: 'findCoordinator/v6/g:AAAAAAAAAAAAAAAAAAAAAA:0', runnel: 'NONE', kafka: 'COORDINATOR_NOT_AVAILABLE', freshOnly: true }],
  },
  {
    id: 'auto-create-answers-at-once',
    what: 'A Metadata request that auto-creates a topic answers with the new topic and its partitions; Kafka answers UNKNOWN_TOPIC_OR_PARTITION and the client asks again.',
    why: 'Runnel creates the topic synchronously on one node, so it is ready at once; clients handle both.',
    where: ['autoFirst', 'autoV3'].flatMap((k) => [
      { scenario: 'metadata', path: `${k}/topics/*/errorCode`, runnel: 'NONE', kafka: 'UNKNOWN_TOPIC_OR_PARTITION' },
      { scenario: 'metadata', path: `${k}/topics/*/partitions/0`, kafka: ABSENT },
    ]),
  },
  {
    id: 'max-timestamp-after-delete-records',
    what: 'ListOffsets for the max timestamp (-3) of a partition whose records were all deleted (DeleteRecords) answers offset -1; Kafka still names the deleted record.',
    why: 'Kafka keeps the segment\'s max timestamp after moving the log start offset past it, so it answers an offset below the log start that a consumer cannot read.',
    where: [{ scenario: 'list-offsets', path: 'afterDeleteAll/-3/*', when: (r) => r === -1 }],
  },
  // ---- configs ------------------------------------------------------------------------------
  {
    id: 'flush-every-message',
    what: 'log.flush.interval.messages (topic: flush.messages) defaults to 1 (Kafka: 9223372036854775807, never).',
    why: 'Runnel fsyncs every append (group commit), so acks=all means "on disk" on a single node; Kafka relies on replication instead.',
    where: [
      { scenario: 'configs/topic-defaults/createTopics', path: 'configs/flush.messages/value', runnel: '1', kafka: '9223372036854775807' },
      { scenario: 'configs/topic-defaults/describe', path: 'configs/flush.messages/value', runnel: '1', kafka: '9223372036854775807' },
      { scenario: 'configs/topic-defaults/describe', path: 'configs/flush.messages/synonyms/0', runnel: 'log.flush.interval.messages=1 (DEFAULT_CONFIG)' },
      { scenario: 'configs/broker', path: 'configs/log.flush.interval.messages/value', runnel: '1', kafka: '9223372036854775807' },
      { scenario: 'configs/broker', path: 'configs/log.flush.interval.messages/synonyms/0', runnel: 'log.flush.interval.messages=1 (DEFAULT_CONFIG)' },
    ],
  },
  {
    id: 'bounded-connection-defaults',
    what: 'queued.max.request.bytes defaults to 268435456 (Kafka: -1, unbounded), max.connections to 10000 and group.consumer.max.size to 1000 (Kafka: 2147483647).',
    why: 'Issue 14: one client, or many, must not grow the broker without bound; Runnel picks finite defaults large enough for a 100 MiB request and for any real consumer group.',
    where: [
      { scenario: 'configs/broker', path: 'configs/group.consumer.max.size/value', runnel: '1000', kafka: '2147483647' },
      { scenario: 'configs/broker', path: 'configs/group.consumer.max.size/synonyms/0', runnel: 'group.consumer.max.size=1000 (DEFAULT_CONFIG)', kafka: 'group.consumer.max.size=2147483647 (DEFAULT_CONFIG)' },
      { scenario: 'configs/broker', path: 'configs/queued.max.request.bytes/value', runnel: '268435456', kafka: '-1' },
      { scenario: 'configs/broker', path: 'configs/queued.max.request.bytes/synonyms/*', runnel: 'queued.max.request.bytes=268435456 (DEFAULT_CONFIG)', kafka: 'queued.max.request.bytes=-1 (DEFAULT_CONFIG)' },
      { scenario: 'configs/broker', path: 'configs/max.connections/value', runnel: '10000', kafka: '2147483647' },
      { scenario: 'configs/broker', path: 'configs/max.connections/synonyms/*', runnel: 'max.connections=10000 (DEFAULT_CONFIG)', kafka: 'max.connections=2147483647 (DEFAULT_CONFIG)' },
    ],
  },
  {
    id: 'listen-backlog-511',
    what: 'socket.listen.backlog.size defaults to 511 (Kafka: 50).',
    why: 'Node\'s default backlog: a crowd of clients reconnecting after a restart is queued rather than dropped into SYN retries, and it still bounds the connections one turn of the event loop accepts (issue 14).',
    where: [
      { scenario: 'configs/broker', path: 'configs/socket.listen.backlog.size/value', runnel: '511', kafka: '50' },
      { scenario: 'configs/broker', path: 'configs/socket.listen.backlog.size/synonyms/*', runnel: 'socket.listen.backlog.size=511 (DEFAULT_CONFIG)', kafka: 'socket.listen.backlog.size=50 (DEFAULT_CONFIG)' },
    ],
  },
  {
    id: 'node-id-default',
    what: 'node.id has a default (1) in Runnel, so DescribeConfigs lists a default synonym for it; Kafka requires node.id and has none.',
    why: 'A broker should start with zero configuration.',
    where: [{ scenario: 'configs/broker', path: 'configs/node.id/synonyms/1', runnel: 'node.id=1 (DEFAULT_CONFIG)', kafka: ABSENT }],
  },
  {
    id: 'min-insync-replicas-cluster-default',
    what: 'min.insync.replicas shows source DEFAULT_CONFIG; Kafka 4.4 shows DYNAMIC_DEFAULT_BROKER_CONFIG (same value, 1).',
    why: 'Kafka\'s storage format writes a cluster-wide min.insync.replicas record for eligible leader replicas (KIP-966); Runnel has no such bootstrap record.',
    where: [
      ...['configs/topic-defaults/createTopics', 'configs/topic-defaults/describe', 'configs/topic-overrides/created', 'configs/topic-overrides/afterIncremental', 'configs/topic-overrides/afterErrors', 'configs/topic-overrides/afterAlter', 'configs/broker'].flatMap((scenario) => [
        { scenario, path: 'configs/min.insync.replicas/source', runnel: 'DEFAULT_CONFIG', kafka: 'DYNAMIC_DEFAULT_BROKER_CONFIG' },
      ]),
      ...['configs/topic-defaults/describe', 'configs/topic-overrides/created', 'configs/topic-overrides/afterIncremental', 'configs/topic-overrides/afterErrors', 'configs/topic-overrides/afterAlter', 'configs/broker'].flatMap((scenario) => [
        { scenario, path: 'configs/min.insync.replicas/synonyms/0', runnel: 'min.insync.replicas=1 (DEFAULT_CONFIG)', kafka: 'min.insync.replicas=1 (DYNAMIC_DEFAULT_BROKER_CONFIG)' },
        { scenario, path: 'configs/min.insync.replicas/synonyms/1', runnel: ABSENT, kafka: 'min.insync.replicas=1 (DEFAULT_CONFIG)' },
      ]),
      { scenario: 'configs/cluster-defaults', path: 'configs/min.insync.replicas', runnel: ABSENT },
      // The Java Admin client lists only configs whose source is not DEFAULT_CONFIG.
      { scenario: 'java/describeConfigs', path: 'configs/*/min.insync.replicas', runnel: ABSENT },
    ],
  },
  {
    id: 'timestamp-difference-max-ms',
    what: 'Runnel still has message.timestamp.difference.max.ms (broker: log.message.timestamp.difference.max.ms), which Kafka 4 removed; it has Kafka 4\'s message.timestamp.before.max.ms / after.max.ms too.',
    why: 'Topics created with the old key keep working; both are honoured.',
    where: [
      { scenario: 'configs/topic-defaults/createTopics', path: 'configs/message.timestamp.difference.max.ms', kafka: ABSENT },
      { scenario: 'configs/topic-defaults/describe', path: 'configs/message.timestamp.difference.max.ms', kafka: ABSENT },
      { scenario: 'configs/broker', path: 'configs/log.message.timestamp.difference.max.ms', kafka: ABSENT },
    ],
  },
  {
    id: 'kafka-3-topic-keys',
    what: 'Runnel accepts and lists message.format.version and message.downconversion.enable, which Kafka 4 removed.',
    why: 'Tools and scripts written for Kafka 3 still set them; they have no effect (Runnel stores RecordBatch v2 and never down-converts).',
    where: ['createTopics', 'describe'].flatMap((k) => [
      { scenario: `configs/topic-defaults/${k}`, path: 'configs/message.format.version', kafka: ABSENT },
      { scenario: `configs/topic-defaults/${k}`, path: 'configs/message.downconversion.enable', kafka: ABSENT },
    ]),
  },
  {
    id: 'schema-validation-keys',
    what: 'Topics have Confluent\'s confluent.key/value.schema.validation and confluent.key/value.subject.name.strategy keys.',
    why: 'Runnel validates produced records against its schema registry, with Confluent Server\'s config names.',
    where: ['createTopics', 'describe'].map((k) => ({ scenario: `configs/topic-defaults/${k}`, path: 'configs/confluent.*', kafka: ABSENT })),
  },
  {
    id: 'no-compression-levels',
    what: 'No compression.gzip.level, compression.lz4.level, compression.zstd.level topic keys (KIP-390).',
    why: 'Not implemented yet: batches Runnel recompresses for a topic\'s compression.type use each codec\'s default level.',
    where: ['createTopics', 'describe'].map((k) => ({ scenario: `configs/topic-defaults/${k}`, path: 'configs/compression.*.level', runnel: ABSENT })),
  },
  {
    id: 'no-tiered-storage-keys',
    what: 'No remote.copy.lag.bytes, remote.copy.lag.ms, remote.log.copy.disable, remote.log.delete.on.disable topic keys.',
    why: 'No tiered storage (remote.storage.enable, local.retention.* are accepted for compatibility only).',
    where: ['createTopics', 'describe'].map((k) => ({ scenario: `configs/topic-defaults/${k}`, path: 'configs/remote.*', runnel: ABSENT })),
  },
  {
    id: 'no-max-decompressed-message-bytes',
    what: 'No max.decompressed.message.bytes topic key.',
    why: 'Runnel decompresses only to recompress or validate, with a fixed 256 MiB cap.',
    where: ['createTopics', 'describe'].map((k) => ({ scenario: `configs/topic-defaults/${k}`, path: 'configs/max.decompressed.message.bytes', runnel: ABSENT })),
  },
  {
    id: 'fewer-broker-keys',
    what: 'DescribeConfigs on the broker lists about 200 keys, Kafka 4.4 about 350: those Runnel has a use for (or accepts for compatibility). The ones it lists are compared with Kafka\'s.',
    why: 'Thread pools, KRaft, Kerberos internals, log4j and the like do not exist in Runnel; an existing server.properties with them still starts (they are accepted with a warning).',
    where: [{ scenario: 'configs/broker-key-count', path: '', when: (r, k) => typeof r === 'number' && typeof k === 'number' && r < k }],
  },
  {
    id: 'runnel-broker-keys',
    what: 'Broker keys only Runnel has: cluster.id, logger.level and runnel.* (admin and schema registry listeners, open files, shutdown timeout).',
    why: 'Runnel\'s own settings; Kafka keeps the cluster id in meta.properties and configures logging with log4j.',
    where: ['cluster.id', 'logger.level', 'runnel.*'].map((k) => ({ scenario: 'configs/broker', path: `configs/${k}`, kafka: ABSENT })),
  },
  {
    id: 'throttle-keys-listed',
    what: 'leader/follower.replication.throttled.rate and replica.alter.log.dirs.io.max.bytes.per.second are listed with their defaults; Kafka lists them only once set.',
    why: 'They are ordinary entries of Runnel\'s config table (set by kafka-reassign-partitions --throttle, for the replication throttle of a cluster).',
    where: ['leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second'].map((k) => ({ scenario: 'configs/broker', path: `configs/${k}`, kafka: ABSENT })),
  },
  {
    id: 'static-broker-keys',
    what: 'listeners, log.cleaner.backoff.ms and producer.id.expiration.ms are read-only (Kafka can change them at runtime).',
    why: 'Runnel reads them at startup only; change them with a restart.',
    where: ['listeners', 'log.cleaner.backoff.ms', 'producer.id.expiration.ms'].map((k) => ({ scenario: 'configs/broker', path: `configs/${k}/readOnly`, runnel: true, kafka: false })),
  },
  {
    id: 'static-security-keys',
    what: 'The ssl.* and sasl.* broker keys are read-only (Kafka can change them per listener at runtime).',
    why: 'Runnel reads SASL settings at startup and reloads key and trust store files when they change on disk (docs/security.md, TLS reload); other changes take a restart.',
    where: ['ssl.*', 'sasl.*'].map((k) => ({ scenario: 'configs/broker', path: `configs/${k}/readOnly`, runnel: true, kafka: false })),
  },
  {
    id: 'security-keys-without-default',
    what: 'security.inter.broker.protocol, ssl.cipher.suites and the JVM-only ssl.keymanager.algorithm, ssl.trustmanager.algorithm, ssl.allow.dn.changes and ssl.allow.san.changes are listed without a default value (Kafka: PLAINTEXT, empty, SunX509, PKIX, false, false).',
    why: 'Unset security.inter.broker.protocol means inter.broker.listener.name or else the first listener; unset ssl.cipher.suites means Node\'s defaults; the JVM-only keys are accepted with a warning and have no effect.',
    where: [
      ...['security.inter.broker.protocol', 'ssl.cipher.suites', 'ssl.keymanager.algorithm', 'ssl.trustmanager.algorithm', 'ssl.allow.dn.changes', 'ssl.allow.san.changes'].flatMap((k) => [
        { scenario: 'configs/broker', path: `configs/${k}/value`, runnel: null },
        { scenario: 'configs/broker', path: `configs/${k}/synonyms/0`, runnel: ABSENT },
      ]),
      ...['ssl.allow.dn.changes', 'ssl.allow.san.changes'].map((k) => ({ scenario: 'configs/broker', path: `configs/${k}/type`, runnel: 'STRING', kafka: 'BOOLEAN' })),
    ],
  },
  {
    id: 'unknown-broker-keys-refused',
    what: 'Altering a broker config key Runnel does not know fails with INVALID_CONFIG; Kafka stores unknown broker keys.',
    why: 'Runnel has no plugins that could read them, so an unknown key is a typo.',
    where: [{ scenario: 'configs/dynamic-broker/unknownKey', path: 'errorCode', runnel: 'INVALID_CONFIG', kafka: 'NONE' }],
  },
  {
    id: 'unknown-alter-op',
    what: 'IncrementalAlterConfigs with an unknown operation gets INVALID_REQUEST; Kafka 4.4 answers UNKNOWN_SERVER_ERROR.',
    why: 'Kafka fails on an unhandled exception there; the request is invalid.',
    where: [{ scenario: 'configs/topic-overrides/errors', path: 'unknownOperation/errorCode', runnel: 'INVALID_REQUEST', kafka: 'UNKNOWN_SERVER_ERROR' }],
  },
  {
    id: 'more-error-messages',
    what: 'Runnel fills error_message for errors where Kafka leaves it null (unknown topic or partition, MESSAGE_TOO_LARGE, CORRUPT_MESSAGE, INVALID_RECORD for malformed records, INVALID_REQUIRED_ACKS, ...).',
    why: 'A reason helps the user; the error code is the same.',
    where: messages(
      'produce-errors',
      'produce-malformed-records',
      'produce-odd-records',
      'admin-errors',
      'configs/topic-overrides/errors',
      'configs/dynamic-broker/unknownKey',
      'cluster/not-leader',
      'cluster/failover',
      'cluster/elect-preferred',
      'cluster/not-enough-replicas',
      // Authorization refusals (test/differential/sasl-ssl-acl.test.ts): Kafka leaves these null (FindCoordinator: '').
      'sasl-ssl-acl/Produce: WRITE on the topic',
      'sasl-ssl-acl/Produce to an unknown topic: refused, not reported unknown',
      'sasl-ssl-acl/FindCoordinator (group): DESCRIBE on the group',
      'sasl-ssl-acl/FindCoordinator (transaction): DESCRIBE on the transactional id',
      'sasl-ssl-acl/CreatePartitions: ALTER on the topic',
      'sasl-ssl-acl/DescribeClientQuotas: DESCRIBE_CONFIGS on the cluster',
      'sasl-ssl-acl/DescribeUserScramCredentials: DESCRIBE on the cluster',
    ),
  },
  {
    id: 'scram-unknown-user-fails-at-proof',
    what: 'SCRAM with an unknown user fails at the client proof (the second message) with the wrong-password message; Kafka 4.4 refuses it at the first message ("Authentication failed: Invalid user credentials").',
    why: 'Runnel answers an unknown user with a fake salt so that the answers do not tell which users exist; the client sees the same SASL_AUTHENTICATION_FAILED and a closed connection.',
    where: [{ scenario: 'sasl-ssl/logins', path: 'scramUnknownUser/**' }],
  },
];

// ---- README section ---------------------------------------------------------------------------

const START = '<!-- known-differences:start (generated from test/differential/known-differences.ts) -->';
const END = '<!-- known-differences:end -->';
export const README = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'README.md');

/** The README's list of differences, one bullet per entry. */
export function renderReadmeList(known: readonly KnownDifference[] = KNOWN_DIFFERENCES): string {
  const lines = known.map((k) => `- **${k.what}** ${k.why} \`${k.id}\``);
  return [START, ...lines, END].join('\n');
}

/** The generated block currently in README.md, or null. */
export function readmeList(text = readFileSync(README, 'utf8')): string | null {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  return a < 0 || b < a ? null : text.slice(a, b + END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes('--write-readme')) {
  const text = readFileSync(README, 'utf8');
  const current = readmeList(text);
  if (current === null) throw new Error(`README.md has no ${START} ... ${END} block`);
  writeFileSync(README, text.replace(current, renderReadmeList()));
  console.log('README.md: known differences rewritten');
}
