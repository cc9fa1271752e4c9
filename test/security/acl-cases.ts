/**
 * The ACL matrix, one row per served API (and per authorization step where an API has more than
 * one): data, group and offset APIs here, transactions and admin APIs in acl-cases-admin.ts, and
 * rows showing that a topic's existence does not leak. What a row holds: acl-case.ts.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { GroupService } from '../../src/groups/service.js';
import { type AclEnv, G, Op, T, TX, clusterGrant, groupGrant, topicGrant, txnGrant } from './acl-env.js';
import { type MatrixCase, commitTopics, committed, fetchBody, listed, notAuthError, rb } from './acl-case.js';
import { ADMIN_CASES } from './acl-cases-admin.js';

export { runCase, type MatrixCase } from './acl-case.js';

/** T's topic id, asked as the admin (so the row works against Kafka too). */
const topicIdOfT = async (env: AclEnv): Promise<Buffer> => (await env.request(3, 12, { topics: [{ name: T, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false }, env.admin)).topics[0].topicId;

/** A share session's first ShareFetch of partition 0 of T. */
const shareFetchBody = async (env: AclEnv) => ({
  groupId: G,
  memberId: 'acl-share-member',
  shareSessionEpoch: 0,
  maxWaitMs: 0,
  minBytes: 0,
  maxBytes: 1 << 20,
  maxRecords: 10,
  batchSize: 10,
  topics: [{ topicId: await topicIdOfT(env), partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }],
  forgottenTopicsData: [],
});

/** The share coordinator's inter-broker APIs (83-87): CLUSTER_ACTION, as Kafka's. */
const SHARE_STATE_CASES: MatrixCase[] = [
  {
    name: 'ReadShareGroupState: CLUSTER_ACTION',
    key: 84,
    version: 0,
    body: async (env: AclEnv) => ({ groupId: G, topics: [{ topicId: await topicIdOfT(env), partitions: [{ partition: 0, leaderEpoch: 0 }] }] }),
    grants: [clusterGrant(Op.CLUSTER_ACTION)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => r.results[0].partitions[0].errorCode,
  },
  {
    name: 'WriteShareGroupState: CLUSTER_ACTION',
    key: 85,
    version: 0,
    body: async (env: AclEnv) => ({ groupId: G, topics: [{ topicId: await topicIdOfT(env), partitions: [{ partition: 0, stateEpoch: 0, leaderEpoch: 0, startOffset: 0, stateBatches: [] }] }] }),
    grants: [clusterGrant(Op.CLUSTER_ACTION)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => r.results[0].partitions[0].errorCode,
    // Authorized, a write to a state never initialised (83) is INVALID_REQUEST, as in Kafka 4.4.
    ok: (code) => code === ErrorCode.NONE || code === ErrorCode.INVALID_REQUEST,
  },
  {
    name: 'InitializeShareGroupState: CLUSTER_ACTION',
    key: 83,
    version: 0,
    body: async (env: AclEnv) => ({ groupId: G, topics: [{ topicId: await topicIdOfT(env), partitions: [{ partition: 0, stateEpoch: 0, startOffset: 0 }] }] }),
    grants: [clusterGrant(Op.CLUSTER_ACTION)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => r.results[0].partitions[0].errorCode,
  },
  {
    name: 'DeleteShareGroupState: CLUSTER_ACTION',
    key: 86,
    version: 0,
    body: async (env: AclEnv) => ({ groupId: G, topics: [{ topicId: await topicIdOfT(env), partitions: [{ partition: 0 }] }] }),
    grants: [clusterGrant(Op.CLUSTER_ACTION)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => r.results[0].partitions[0].errorCode,
  },
  {
    name: 'ReadShareGroupStateSummary: CLUSTER_ACTION',
    key: 87,
    version: 1,
    body: async (env: AclEnv) => ({ groupId: G, topics: [{ topicId: await topicIdOfT(env), partitions: [{ partition: 0, leaderEpoch: 0 }] }] }),
    grants: [clusterGrant(Op.CLUSTER_ACTION)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => r.results[0].partitions[0].errorCode,
  },
];

const DATA_CASES: MatrixCase[] = [
  {
    name: 'Produce: WRITE on the topic',
    key: 0,
    version: 9,
    body: () => ({ acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: T, partitionData: [{ index: 0, records: buildBatchSync([{ value: 'x' }]) }] }] }),
    grants: [topicGrant(T, Op.WRITE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.responses[0].partitionResponses[0].errorCode,
    unchanged: (env) => env.highWatermark(T),
  },
  { name: 'Fetch (consumer): READ on the topic', key: 1, version: 12, body: fetchBody(-1), grants: [topicGrant(T, Op.READ)], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED, code: (r) => r.responses[0].partitions[0].errorCode },
  { name: 'Fetch (follower): CLUSTER_ACTION', key: 1, version: 12, body: fetchBody(1), grants: [clusterGrant(Op.CLUSTER_ACTION)], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED, code: (r) => r.responses[0].partitions[0].errorCode },
  {
    name: 'ListOffsets: DESCRIBE on the topic',
    key: 2,
    version: 7,
    body: () => ({ replicaId: -1, isolationLevel: 0, topics: [{ name: T, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] }),
    grants: [topicGrant(T, Op.DESCRIBE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].partitions[0].errorCode,
  },
  {
    name: 'Metadata (named topic): DESCRIBE',
    key: 3,
    version: 12,
    body: () => ({ topics: [{ name: T, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false }),
    grants: [topicGrant(T, Op.DESCRIBE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].errorCode,
  },
  { name: 'Metadata (all topics): only describable topics listed', key: 3, version: 12, body: () => ({ topics: null }), grants: [topicGrant(T, Op.READ)], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED, code: (r) => listed(r.topics.some((t: any) => t.name === T)) },
  {
    name: 'Metadata (auto-create): CREATE',
    key: 3,
    version: 12,
    body: () => ({ topics: [{ name: 'acl-auto', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: true }),
    given: [topicGrant('acl-auto', Op.DESCRIBE)],
    grants: [topicGrant('acl-auto', Op.CREATE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].errorCode,
    unchanged: (env) => rb(env).topics.get('acl-auto') !== undefined,
  },
  {
    name: 'OffsetCommit: READ on the group',
    key: 8,
    version: 8,
    body: () => ({ groupId: G, generationIdOrMemberEpoch: -1, memberId: '', topics: commitTopics }),
    given: [topicGrant(T, Op.READ)],
    grants: [groupGrant(G, Op.READ)],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].partitions[0].errorCode,
    unchanged: (env) => committed(env, G),
  },
  {
    name: 'OffsetCommit: READ on the topic',
    key: 8,
    version: 8,
    body: () => ({ groupId: G, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 3, committedMetadata: '' }] }] }),
    given: [groupGrant(G, Op.READ)],
    grants: [topicGrant(T, Op.READ)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].partitions[0].errorCode,
    unchanged: (env) => committed(env, G),
  },
  {
    name: 'OffsetFetch: DESCRIBE on the group',
    key: 9,
    version: 8,
    body: () => ({ groups: [{ groupId: G, topics: [{ name: T, partitionIndexes: [0] }] }], requireStable: false }),
    given: [topicGrant(T, Op.DESCRIBE)],
    grants: [groupGrant(G, Op.DESCRIBE)],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    code: (r) => r.groups[0].errorCode,
  },
  {
    name: 'OffsetFetch: DESCRIBE on the topic',
    key: 9,
    version: 8,
    body: () => ({ groups: [{ groupId: G, topics: [{ name: T, partitionIndexes: [0] }] }], requireStable: false }),
    given: [groupGrant(G, Op.DESCRIBE)],
    grants: [topicGrant(T, Op.DESCRIBE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.groups[0].topics[0].partitions[0].errorCode,
  },
  { name: 'FindCoordinator (group): DESCRIBE on the group', key: 10, version: 4, body: () => ({ keyType: 0, coordinatorKeys: [G] }), grants: [groupGrant(G, Op.DESCRIBE)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.coordinators[0].errorCode },
  {
    name: 'FindCoordinator (transaction): DESCRIBE on the transactional id',
    key: 10,
    version: 4,
    body: () => ({ keyType: 1, coordinatorKeys: [TX] }),
    grants: [txnGrant(TX, Op.DESCRIBE)],
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    code: (r) => r.coordinators[0].errorCode,
  },
  {
    name: 'JoinGroup: READ on the group',
    key: 11,
    version: 9,
    body: () => ({ groupId: 'acl-join', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }),
    grants: [groupGrant('acl-join', Op.READ)],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    code: (r) => r.errorCode,
    ok: (c) => c === ErrorCode.MEMBER_ID_REQUIRED,
    unchanged: (env) => new GroupService(rb(env).groups).describeGroup('acl-join').state,
  },
  { name: 'Heartbeat: READ on the group', key: 12, version: 4, body: () => ({ groupId: G, generationId: 1, memberId: 'm' }), grants: [groupGrant(G, Op.READ)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.errorCode, ok: notAuthError },
  { name: 'LeaveGroup: READ on the group', key: 13, version: 5, body: () => ({ groupId: G, members: [{ memberId: 'm', groupInstanceId: null, reason: null }] }), grants: [groupGrant(G, Op.READ)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.errorCode, ok: notAuthError },
  {
    name: 'SyncGroup: READ on the group',
    key: 14,
    version: 5,
    body: () => ({ groupId: G, generationId: 1, memberId: 'm', protocolType: 'consumer', protocolName: 'range', assignments: [] }),
    grants: [groupGrant(G, Op.READ)],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    code: (r) => r.errorCode,
    ok: notAuthError,
  },
  {
    name: 'ConsumerGroupHeartbeat: READ on the group',
    key: 68,
    version: 1,
    body: () => ({ groupId: G, memberId: 'acl-member', memberEpoch: 0, rebalanceTimeoutMs: 30000, subscribedTopicNames: [], topicPartitions: [] }),
    grants: [groupGrant(G, Op.READ)],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    code: (r) => r.errorCode,
  },
  { name: 'ConsumerGroupDescribe: DESCRIBE on the group', key: 69, version: 1, body: () => ({ groupIds: [G], includeAuthorizedOperations: true }), grants: [groupGrant(G, Op.DESCRIBE)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.groups[0].errorCode, ok: notAuthError },
  // Share groups (KIP-932): READ on the group, then READ (fetch) or DESCRIBE (heartbeat) on the topic.
  // G is a classic group by now (earlier rows): once authorized, Kafka and Runnel answer GROUP_ID_NOT_FOUND (one group type per id).
  { name: 'ShareGroupHeartbeat: READ on the group', key: 76, version: 1, body: () => ({ groupId: G, memberId: 'acl-share-member', memberEpoch: 0, rackId: null, subscribedTopicNames: [T] }), given: [topicGrant(T, Op.DESCRIBE)], grants: [groupGrant(G, Op.READ)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.errorCode, ok: notAuthError },
  { name: 'ShareGroupHeartbeat: DESCRIBE on the subscribed topic', key: 76, version: 1, body: () => ({ groupId: G, memberId: 'acl-share-member', memberEpoch: 0, rackId: null, subscribedTopicNames: [T] }), given: [groupGrant(G, Op.READ)], grants: [topicGrant(T, Op.DESCRIBE)], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED, code: (r) => r.errorCode, ok: notAuthError },
  { name: 'ShareGroupDescribe: DESCRIBE on the group', key: 77, version: 1, body: () => ({ groupIds: [G], includeAuthorizedOperations: true }), grants: [groupGrant(G, Op.DESCRIBE)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.groups[0].errorCode, ok: notAuthError },
  { name: 'ShareFetch: READ on the group', key: 78, version: 1, body: (env) => shareFetchBody(env), grants: [groupGrant(G, Op.READ)], given: [topicGrant(T, Op.READ)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.errorCode },
  { name: 'ShareFetch: READ on the topic', key: 78, version: 1, body: (env) => shareFetchBody(env), given: [groupGrant(G, Op.READ)], grants: [topicGrant(T, Op.READ)], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED, code: (r) => r.responses[0]?.partitions[0]?.errorCode ?? r.errorCode },
  { name: 'ShareAcknowledge: READ on the group', key: 79, version: 1, body: () => ({ groupId: G, memberId: 'acl-share-member', shareSessionEpoch: 0, topics: [] }), grants: [groupGrant(G, Op.READ)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.errorCode, ok: notAuthError },
  { name: 'DescribeShareGroupOffsets: DESCRIBE on the group', key: 90, version: 1, body: () => ({ groups: [{ groupId: G, topics: [{ topicName: T, partitions: [0] }] }] }), given: [topicGrant(T, Op.DESCRIBE)], grants: [groupGrant(G, Op.DESCRIBE)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.groups[0].errorCode },
  { name: 'DescribeShareGroupOffsets: DESCRIBE on the topic', key: 90, version: 1, body: () => ({ groups: [{ groupId: G, topics: [{ topicName: T, partitions: [0] }] }] }), given: [groupGrant(G, Op.DESCRIBE)], grants: [topicGrant(T, Op.DESCRIBE)], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED, code: (r) => r.groups[0].topics[0]?.partitions[0]?.errorCode ?? r.groups[0].errorCode },
  { name: 'AlterShareGroupOffsets: READ on the group', key: 91, version: 0, body: () => ({ groupId: G, topics: [{ topicName: T, partitions: [{ partitionIndex: 0, startOffset: 0 }] }] }), given: [topicGrant(T, Op.READ)], grants: [groupGrant(G, Op.READ)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.errorCode, ok: notAuthError },
  { name: 'DeleteShareGroupOffsets: DELETE on the group', key: 92, version: 0, body: () => ({ groupId: G, topics: [{ topicName: T }] }), given: [topicGrant(T, Op.READ)], grants: [groupGrant(G, Op.DELETE)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.errorCode, ok: notAuthError },
  { name: 'DescribeGroups: DESCRIBE on the group', key: 15, version: 5, body: () => ({ groups: [G], includeAuthorizedOperations: true }), grants: [groupGrant(G, Op.DESCRIBE)], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED, code: (r) => r.groups[0].errorCode },
  {
    name: 'ListGroups: only describable groups listed',
    key: 16,
    version: 4,
    body: () => ({ statesFilter: [] }),
    grants: [groupGrant(G, Op.DESCRIBE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => listed(r.groups.some((g: any) => g.groupId === G)),
  },
  {
    name: 'CreateTopics: CREATE on the topic (or cluster)',
    key: 19,
    version: 7,
    body: () => ({ topics: [{ name: 'acl-new', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 }),
    grants: [topicGrant('acl-new', Op.CREATE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].errorCode,
    unchanged: (env) => rb(env).topics.get('acl-new') !== undefined,
  },
  {
    name: 'DeleteTopics: DELETE on the topic',
    key: 20,
    version: 6,
    body: () => ({ topics: [{ name: 'acl-del', topicId: Buffer.alloc(16) }], timeoutMs: 5000 }),
    grants: [topicGrant('acl-del', Op.DELETE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.responses[0].errorCode,
    unchanged: (env) => rb(env).topics.get('acl-del') !== undefined,
  },
  {
    name: 'DeleteRecords: DELETE on the topic',
    key: 21,
    version: 2,
    body: () => ({ topics: [{ name: 'acl-dr', partitions: [{ partitionIndex: 0, offset: 1 }] }], timeoutMs: 5000 }),
    grants: [topicGrant('acl-dr', Op.DELETE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].partitions[0].errorCode,
    unchanged: (env) => rb(env).partitions.get('acl-dr', 0)!.logStartOffset,
  },
  {
    name: 'InitProducerId (idempotent): IDEMPOTENT_WRITE on the cluster',
    key: 22,
    version: 4,
    body: () => ({ transactionalId: null, transactionTimeoutMs: 60000 }),
    grants: [clusterGrant(Op.IDEMPOTENT_WRITE)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => r.errorCode,
  },
  { name: 'InitProducerId (idempotent): or WRITE on some topic', key: 22, version: 4, body: () => ({ transactionalId: null, transactionTimeoutMs: 60000 }), grants: [topicGrant('any-topic', Op.WRITE)], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, code: (r) => r.errorCode },
  { name: 'InitProducerId (transactional): WRITE on the transactional id', key: 22, version: 4, body: () => ({ transactionalId: TX, transactionTimeoutMs: 60000 }), grants: [txnGrant(TX, Op.WRITE)], denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, code: (r) => r.errorCode },
  {
    name: 'OffsetForLeaderEpoch (consumer): DESCRIBE on the topic',
    key: 23,
    version: 4,
    body: () => ({ replicaId: -1, topics: [{ topic: T, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }),
    grants: [topicGrant(T, Op.DESCRIBE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].partitions[0].errorCode,
  },
  {
    name: 'OffsetForLeaderEpoch (follower): CLUSTER_ACTION',
    key: 23,
    version: 4,
    body: () => ({ replicaId: 1, topics: [{ topic: T, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }),
    // Kafka: CLUSTER_ACTION or DESCRIBE on the topic, whatever the replica id.
    grants: [clusterGrant(Op.CLUSTER_ACTION)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].partitions[0].errorCode,
  },
];

/**
 * Existence does not leak: a topic the principal may not see is refused the same whether it
 * exists or not; once allowed, the unknown topic is reported as unknown.
 */
const unknownTopic = 'acl-nowhere';
const LEAK_CASES: MatrixCase[] = [
  {
    name: 'Produce to an unknown topic: refused, not reported unknown',
    key: 0,
    version: 9,
    body: () => ({ acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: unknownTopic, partitionData: [{ index: 0, records: buildBatchSync([{ value: 'x' }]) }] }] }),
    grants: [topicGrant(unknownTopic, Op.WRITE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.responses[0].partitionResponses[0].errorCode,
    ok: (c) => c === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  },
  {
    name: 'Fetch from an unknown topic: refused, not reported unknown',
    key: 1,
    version: 12,
    body: () => ({ ...fetchBody(-1)(), topics: [{ topic: unknownTopic, partitions: [{ partition: 0, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1024 }] }] }),
    grants: [topicGrant(unknownTopic, Op.READ)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.responses[0].partitions[0].errorCode,
    ok: (c) => c === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  },
  {
    name: 'Metadata of an unknown topic: refused, not reported unknown',
    key: 3,
    version: 12,
    body: () => ({ topics: [{ name: unknownTopic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false }),
    grants: [topicGrant(unknownTopic, Op.DESCRIBE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].errorCode,
    ok: (c) => c === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  },
  {
    name: 'DeleteTopics of an unknown topic: refused, not reported unknown',
    key: 20,
    version: 6,
    body: () => ({ topics: [{ name: unknownTopic, topicId: Buffer.alloc(16) }], timeoutMs: 5000 }),
    grants: [topicGrant(unknownTopic, Op.DELETE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.responses[0].errorCode,
    ok: (c) => c === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  },
];

export const CASES: MatrixCase[] = [...DATA_CASES, ...ADMIN_CASES, ...LEAK_CASES, ...SHARE_STATE_CASES];

/** APIs Kafka serves to anyone (no authorization): they must work with no ACL at all. */
export const OPEN_APIS = [
  { name: 'ApiVersions', key: 18, version: 3, body: { clientSoftwareName: 'acl-matrix', clientSoftwareVersion: '1' }, code: (r: any) => r.errorCode },
];
