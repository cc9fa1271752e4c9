/**
 * The ACL matrix, one row per served API (and per authorization step where an API has more than
 * one): what the identity is given beforehand (`given`), the error Kafka answers without the ACL
 * under test (`denied`), the ACLs that make it succeed (`grants`), where the response carries the
 * code, and a snapshot of the data the request would change, which the refused request must leave
 * as it was. Listings that filter instead of failing (Metadata of all topics, ListGroups,
 * ListTransactions, DescribeCluster's authorized operations) map "not listed" to the error code.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { GroupService } from '../../src/groups/service.js';
import { type AclEnv, G, type Grant, Op, T, TX, clusterGrant, groupGrant, topicGrant, txnGrant } from './acl-env.js';

export interface MatrixCase {
  name: string;
  key: number;
  version: number;
  body: (env: AclEnv) => Record<string, unknown>;
  /** ACLs held already (the steps before the one tested). */
  given?: Grant[];
  grants: Grant[];
  denied: number;
  code: (res: any) => number;
  /** What counts as success; default NONE (some APIs answer a protocol error once authorized). */
  ok?: (code: number) => boolean;
  /** A snapshot of what the request would change; equal before and after the refused request. */
  unchanged?: (env: AclEnv) => unknown;
}

const AUTH_ERRORS = new Set<number>([
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
]);
/** Authorized: whatever the coordinator answers next (unknown member, bad epoch ...), not an authorization error. */
const notAuthError = (code: number) => !AUTH_ERRORS.has(code);

const fetchBody = (replicaId: number) => () => ({
  replicaId,
  maxWaitMs: 0,
  minBytes: 0,
  maxBytes: 1 << 20,
  isolationLevel: 0,
  topics: [{ topic: T, partitions: [{ partition: 0, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
});
/** The Runnel broker (in-process snapshots; the differential test against Kafka compares codes only). */
const rb = (env: AclEnv) => env.runnel!.broker;
/** The broker's node id (Apache Kafka's reference broker is node 1). */
const nodeId = (env: AclEnv) => env.runnel?.broker.nodeId ?? 1;
const committed = (env: AclEnv, group: string) => new GroupService(rb(env).groups).fetchOffsets(group, [{ topic: T, partition: 0 }], false).offsets[0]?.offset;
const topicConfig = (env: AclEnv, topic: string) => Object.fromEntries(rb(env).topics.get(topic)!.configs);
const listed = (found: boolean) => (found ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED);
const commitTopics = [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 2, committedMetadata: '' }] }];
const txnCommitBody = () => ({ transactionalId: TX, groupId: G, producerId: 1, producerEpoch: 0, topics: commitTopics });

export const CASES: MatrixCase[] = [
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
  {
    name: 'AddPartitionsToTxn: WRITE on the transactional id',
    key: 24,
    version: 3,
    body: () => ({ transactionalId: TX, producerId: 999, producerEpoch: 0, topics: [{ name: T, partitions: [0] }] }),
    given: [topicGrant(T, Op.WRITE)],
    grants: [txnGrant(TX, Op.WRITE)],
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    code: (r) => r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode,
    ok: notAuthError,
  },
  {
    name: 'AddPartitionsToTxn: WRITE on the topic',
    key: 24,
    version: 3,
    body: () => ({ transactionalId: TX, producerId: 999, producerEpoch: 0, topics: [{ name: T, partitions: [0] }] }),
    given: [txnGrant(TX, Op.WRITE)],
    grants: [topicGrant(T, Op.WRITE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode,
    ok: notAuthError,
  },
  {
    name: 'AddOffsetsToTxn: WRITE on the transactional id',
    key: 25,
    version: 3,
    body: () => ({ transactionalId: TX, producerId: 999, producerEpoch: 0, groupId: G }),
    given: [groupGrant(G, Op.READ)],
    grants: [txnGrant(TX, Op.WRITE)],
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    code: (r) => r.errorCode,
    ok: notAuthError,
  },
  {
    name: 'AddOffsetsToTxn: READ on the group',
    key: 25,
    version: 3,
    body: () => ({ transactionalId: TX, producerId: 999, producerEpoch: 0, groupId: G }),
    given: [txnGrant(TX, Op.WRITE)],
    grants: [groupGrant(G, Op.READ)],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    code: (r) => r.errorCode,
    ok: notAuthError,
  },
  { name: 'EndTxn: WRITE on the transactional id', key: 26, version: 3, body: () => ({ transactionalId: TX, producerId: 999, producerEpoch: 0, committed: true }), grants: [txnGrant(TX, Op.WRITE)], denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, code: (r) => r.errorCode, ok: notAuthError },
  {
    name: 'WriteTxnMarkers: CLUSTER_ACTION',
    key: 27,
    version: 1,
    body: () => ({ markers: [{ producerId: 77, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 'acl-m', partitionIndexes: [0] }] }] }),
    grants: [clusterGrant(Op.CLUSTER_ACTION)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => r.markers[0].topics[0].partitions[0].errorCode,
    ok: notAuthError,
    unchanged: (env) => env.highWatermark('acl-m'),
  },
  {
    name: 'TxnOffsetCommit: WRITE on the transactional id',
    key: 28,
    version: 3,
    body: txnCommitBody,
    given: [groupGrant(G, Op.READ), topicGrant(T, Op.READ)],
    grants: [txnGrant(TX, Op.WRITE)],
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].partitions[0].errorCode,
    ok: notAuthError,
  },
  {
    name: 'TxnOffsetCommit: READ on the group',
    key: 28,
    version: 3,
    body: txnCommitBody,
    given: [txnGrant(TX, Op.WRITE), topicGrant(T, Op.READ)],
    grants: [groupGrant(G, Op.READ)],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].partitions[0].errorCode,
    ok: notAuthError,
  },
  {
    name: 'TxnOffsetCommit: READ on the topic',
    key: 28,
    version: 3,
    body: txnCommitBody,
    given: [txnGrant(TX, Op.WRITE), groupGrant(G, Op.READ)],
    grants: [topicGrant(T, Op.READ)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].partitions[0].errorCode,
    ok: notAuthError,
  },
  {
    name: 'DescribeAcls: DESCRIBE on the cluster',
    key: 29,
    version: 3,
    body: () => ({ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }),
    grants: [clusterGrant(Op.DESCRIBE)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => r.errorCode,
  },
  {
    name: 'CreateAcls: ALTER on the cluster',
    key: 30,
    version: 3,
    body: (env) => ({ creations: [{ resourceType: 2, resourceName: 'x', resourcePatternType: 3, principal: 'User:bob', host: env.identity.host, operation: 3, permissionType: 3 }] }),
    grants: [clusterGrant(Op.ALTER)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => r.results[0].errorCode,
    unchanged: (env) => rb(env).authorizer.acls!.describe({ resourceType: 1, resourceName: null, patternType: 1, principal: 'User:bob', host: null, operation: 1, permissionType: 1 }).length,
  },
  {
    name: 'DeleteAcls: ALTER on the cluster',
    key: 31,
    version: 3,
    body: (env) => ({ filters: [{ resourceTypeFilter: 2, resourceNameFilter: 'kept', patternTypeFilter: 1, principalFilter: null, hostFilter: env.identity.host, operation: 1, permissionType: 1 }] }),
    given: [topicGrant('kept', Op.READ)],
    grants: [clusterGrant(Op.ALTER)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => r.filterResults[0].errorCode,
    unchanged: (env) => rb(env).authorizer.acls!.describe({ resourceType: 2, resourceName: 'kept', patternType: 1, principal: null, host: null, operation: 1, permissionType: 1 }).length,
  },
  {
    name: 'DescribeConfigs (topic): DESCRIBE_CONFIGS on the topic',
    key: 32,
    version: 4,
    body: () => ({ resources: [{ resourceType: 2, resourceName: T, configurationKeys: null }] }),
    grants: [topicGrant(T, Op.DESCRIBE_CONFIGS)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.results[0].errorCode,
  },
  {
    name: 'DescribeConfigs (broker): DESCRIBE_CONFIGS on the cluster',
    key: 32,
    version: 4,
    body: (env) => ({ resources: [{ resourceType: 4, resourceName: String(nodeId(env)), configurationKeys: null }] }),
    grants: [clusterGrant(Op.DESCRIBE_CONFIGS)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => r.results[0].errorCode,
  },
  {
    name: 'AlterConfigs: ALTER_CONFIGS on the topic',
    key: 33,
    version: 2,
    body: () => ({ resources: [{ resourceType: 2, resourceName: T, configs: [{ name: 'retention.ms', value: '123456' }] }], validateOnly: false }),
    grants: [topicGrant(T, Op.ALTER_CONFIGS)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.responses[0].errorCode,
    unchanged: (env) => topicConfig(env, T),
  },
  {
    name: 'IncrementalAlterConfigs: ALTER_CONFIGS on the topic',
    key: 44,
    version: 1,
    body: () => ({ resources: [{ resourceType: 2, resourceName: T, configs: [{ name: 'retention.bytes', configOperation: 0, value: '1000000' }] }], validateOnly: false }),
    grants: [topicGrant(T, Op.ALTER_CONFIGS)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.responses[0].errorCode,
    unchanged: (env) => topicConfig(env, T),
  },
  { name: 'DescribeLogDirs: DESCRIBE on the cluster', key: 35, version: 4, body: () => ({ topics: null }), grants: [clusterGrant(Op.DESCRIBE)], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, code: (r) => r.errorCode },
  {
    name: 'CreatePartitions: ALTER on the topic',
    key: 37,
    version: 3,
    body: () => ({ topics: [{ name: 'acl-cp', count: 2, assignments: null }], timeoutMs: 5000, validateOnly: false }),
    grants: [topicGrant('acl-cp', Op.ALTER)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.results[0].errorCode,
    unchanged: (env) => rb(env).topics.get('acl-cp')!.partitions,
  },
  {
    name: 'DeleteGroups: DELETE on the group',
    key: 42,
    version: 2,
    body: () => ({ groupsNames: ['acl-g2'] }),
    grants: [groupGrant('acl-g2', Op.DELETE)],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    code: (r) => r.results[0].errorCode,
    unchanged: (env) => committed(env, 'acl-g2'),
  },
  { name: 'ElectLeaders: ALTER on the cluster', key: 43, version: 2, body: () => ({ electionType: 0, topicPartitions: [{ topic: T, partitions: [0] }] }), grants: [clusterGrant(Op.ALTER)], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, code: (r) => r.errorCode },
  {
    name: 'AlterPartitionReassignments: ALTER on the cluster',
    key: 45,
    version: 0,
    body: (env) => ({ topics: [{ name: T, partitions: [{ partitionIndex: 0, replicas: [nodeId(env)] }] }] }),
    grants: [clusterGrant(Op.ALTER)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => (r.errorCode !== ErrorCode.NONE ? r.errorCode : r.responses[0].partitions[0].errorCode),
  },
  { name: 'ListPartitionReassignments: DESCRIBE on the cluster', key: 46, version: 0, body: () => ({ topics: null }), grants: [clusterGrant(Op.DESCRIBE)], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, code: (r) => r.errorCode },
  {
    name: 'OffsetDelete: DELETE on the group',
    key: 47,
    version: 0,
    body: () => ({ groupId: G, topics: [{ name: T, partitions: [{ partitionIndex: 0 }] }] }),
    given: [topicGrant(T, Op.READ)],
    grants: [groupGrant(G, Op.DELETE)],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    code: (r) => (r.errorCode !== ErrorCode.NONE ? r.errorCode : r.topics[0].partitions[0].errorCode),
    unchanged: (env) => committed(env, G),
  },
  {
    name: 'OffsetDelete: READ on the topic',
    key: 47,
    version: 0,
    body: () => ({ groupId: G, topics: [{ name: T, partitions: [{ partitionIndex: 0 }] }] }),
    given: [groupGrant(G, Op.DELETE)],
    grants: [topicGrant(T, Op.READ)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => (r.errorCode !== ErrorCode.NONE ? r.errorCode : r.topics[0].partitions[0].errorCode),
    unchanged: (env) => committed(env, G),
  },
  { name: 'DescribeClientQuotas: DESCRIBE_CONFIGS on the cluster', key: 48, version: 1, body: () => ({ components: [], strict: false }), grants: [clusterGrant(Op.DESCRIBE_CONFIGS)], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, code: (r) => r.errorCode },
  { name: 'DescribeUserScramCredentials: DESCRIBE on the cluster', key: 50, version: 0, body: () => ({ users: [] }), grants: [clusterGrant(Op.DESCRIBE)], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, code: (r) => r.errorCode },
  {
    name: "DescribeCluster: the cluster's authorized operations need DESCRIBE",
    key: 60,
    version: 1,
    body: () => ({ includeClusterAuthorizedOperations: true, endpointType: 1 }),
    grants: [clusterGrant(Op.DESCRIBE)],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    code: (r) => (r.clusterAuthorizedOperations === 0 ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : r.errorCode),
  },
  { name: 'DescribeProducers: READ on the topic', key: 61, version: 0, body: () => ({ topics: [{ name: T, partitionIndexes: [0] }] }), grants: [topicGrant(T, Op.READ)], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED, code: (r) => r.topics[0].partitions[0].errorCode },
  {
    name: 'DescribeTransactions: DESCRIBE on the transactional id',
    key: 65,
    version: 0,
    body: () => ({ transactionalIds: [TX] }),
    grants: [txnGrant(TX, Op.DESCRIBE)],
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    code: (r) => r.transactionStates[0].errorCode,
  },
  {
    name: 'ListTransactions: only describable transactional ids listed',
    key: 66,
    version: 1,
    body: () => ({ stateFilters: [], producerIdFilters: [], durationFilter: -1 }),
    grants: [txnGrant(TX, Op.DESCRIBE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => listed(r.transactionStates.some((s: any) => s.transactionalId === TX)),
  },
  {
    name: 'DescribeTopicPartitions: DESCRIBE on the topic',
    key: 75,
    version: 0,
    body: () => ({ topics: [{ name: T }], responsePartitionLimit: 100, cursor: null }),
    grants: [topicGrant(T, Op.DESCRIBE)],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    code: (r) => r.topics[0].errorCode,
  },
];

/**
 * Existence does not leak: a topic the principal may not see is refused the same whether it
 * exists or not; once allowed, the unknown topic is reported as unknown.
 */
const unknownTopic = 'acl-nowhere';
CASES.push(
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
);

/** One row run: the code without the ACL, the snapshots around it (Runnel only), the code with it. */
export async function runCase(env: AclEnv, c: MatrixCase): Promise<{ refused: number; served: number; before: unknown; after: unknown }> {
  await env.grant(c.given ?? []);
  const snapshot = () => (env.runnel !== null ? c.unchanged?.(env) : undefined);
  const before = snapshot();
  const refused = c.code(await env.request(c.key, c.version, c.body(env)));
  const after = snapshot();
  await env.grant(c.grants);
  const served = c.code(await env.request(c.key, c.version, c.body(env)));
  return { refused, served, before, after };
}

/** APIs Kafka serves to anyone (no authorization): they must work with no ACL at all. */
export const OPEN_APIS = [
  { name: 'ApiVersions', key: 18, version: 3, body: { clientSoftwareName: 'acl-matrix', clientSoftwareVersion: '1' }, code: (r: any) => r.errorCode },
];
