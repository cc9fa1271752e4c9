/**
 * The fuzzer's corpus: every request frame real clients sent (test/golden, see its README):
 * kafkajs, librdkafka, kafka-python and Java, every API they use — plus frames written with our
 * own codecs, at their first and last versions, for the APIs no captured client sent, so every
 * served API is fuzzed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as m from '../../../protocol/generated/index.js';
import { API_CODECS } from '../../../protocol/generated/index.js';
import { requestHeaderSize, writeRequestHeader } from '../../../protocol/headers.js';
import { Writer } from '../../../protocol/primitives.js';
import { REPO_ROOT } from '../../helpers/broker.js';

export interface CorpusFrame {
  client: string;
  apiKey: number;
  version: number;
  file: string;
  /** Request header + body, without the size prefix. */
  bytes: Buffer;
}

export function loadCorpus(): CorpusFrame[] {
  const dir = join(REPO_ROOT, 'test', 'golden');
  const index = JSON.parse(readFileSync(join(dir, 'INDEX.json'), 'utf8')) as {
    frames: Array<{ client: string; apiKey: number; version: number; direction: string; file: string }>;
  };
  const golden = index.frames
    .filter((f) => f.direction === 'request')
    .map((f) => ({ client: f.client, apiKey: f.apiKey, version: f.version, file: f.file, bytes: readFileSync(join(dir, f.file)) }));
  const captured = new Set(golden.map((f) => f.apiKey));
  return [...golden, ...syntheticCorpus().filter((f) => !captured.has(f.apiKey))];
}

/**
 * Requests of the APIs no captured client sent (ACLs, quotas, reassignments, transactions
 * admin...), written with our codecs at their first and last versions, naming a topic and group
 * the captured frames create, so every served API is fuzzed.
 */
export function syntheticCorpus(): CorpusFrame[] {
  const topic = 'golden-kafkajs';
  const group = 'golden-kafkajs-group';
  const shareGroup = 'golden-share-group';
  const shareMember = 'fuzz-share-member-0001';
  const bodies: Array<[number, object]> = [
    [17, { mechanism: 'PLAIN' }],
    [23, { replicaId: -1, topics: [m.newOffsetForLeaderEpochRequestTopic({ topic, partitions: [m.newOffsetForLeaderEpochRequestPartition({ partition: 0, leaderEpoch: 0 })] })] }],
    [25, { transactionalId: 'golden-txn', producerId: 1, producerEpoch: 0, groupId: group }],
    [
      28,
      {
        transactionalId: 'golden-txn',
        groupId: group,
        producerId: 1,
        producerEpoch: 0,
        generationId: -1,
        memberId: '',
        topics: [m.newTxnOffsetCommitRequestTopic({ name: topic, partitions: [m.newTxnOffsetCommitRequestPartition({ partitionIndex: 0, committedOffset: 1, committedMetadata: 'm' })] })],
      },
    ],
    [29, { resourceTypeFilter: 1, patternTypeFilter: 1, operation: 1, permissionType: 1 }],
    [30, { creations: [m.newCreateAclsRequestCreation({ resourceType: 2, resourceName: topic, resourcePatternType: 3, principal: 'User:x', host: '*', operation: 3, permissionType: 3 })] }],
    [31, { filters: [m.newDeleteAclsRequestFilter({ resourceTypeFilter: 2, resourceNameFilter: topic, patternTypeFilter: 3, operation: 3, permissionType: 3 })] }],
    [33, { resources: [m.newAlterConfigsRequestResource({ resourceType: 2, resourceName: topic, configs: [m.newAlterConfigsRequestConfig({ name: 'retention.ms', value: '600000' })] })] }],
    [35, { topics: [m.newDescribeLogDirsRequestTopic({ topic, partitions: [0] })] }],
    [36, { authBytes: Buffer.from('\0user\0password') }],
    [43, { electionType: 0, topicPartitions: [m.newElectLeadersRequestTopic({ topic, partitions: [0] })], timeoutMs: 1000 }],
    [45, { timeoutMs: 1000, topics: [m.newAlterPartitionReassignmentsRequestTopic({ name: topic, partitions: [m.newAlterPartitionReassignmentsRequestPartition({ partitionIndex: 0, replicas: [1] })] })] }],
    [46, { timeoutMs: 1000, topics: [m.newListPartitionReassignmentsRequestTopic({ name: topic, partitionIndexes: [0] })] }],
    [47, { groupId: group, topics: [m.newOffsetDeleteRequestTopic({ name: topic, partitions: [m.newOffsetDeleteRequestPartition({ partitionIndex: 0 })] })] }],
    [48, { components: [m.newDescribeClientQuotasRequestComponent({ entityType: 'user', matchType: 1 })] }],
    [49, { entries: [m.newAlterClientQuotasRequestEntry({ entity: [m.newAlterClientQuotasRequestEntity({ entityType: 'client-id', entityName: 'fuzz' })], ops: [m.newAlterClientQuotasRequestOp({ key: 'producer_byte_rate', value: 1e9 })] })], validateOnly: true }],
    [50, { users: [m.newDescribeUserScramCredentialsRequestUser({ name: 'x' })] }],
    [51, { deletions: [m.newAlterUserScramCredentialsRequestScramCredentialDeletion({ name: 'x', mechanism: 1 })], upsertions: [m.newAlterUserScramCredentialsRequestScramCredentialUpsertion({ name: 'y', mechanism: 2, iterations: 4096, salt: Buffer.from('salt'), saltedPassword: Buffer.alloc(64, 1) })] }],
    [61, { topics: [m.newDescribeProducersRequestTopic({ name: topic, partitionIndexes: [0] })] }],
    [65, { transactionalIds: ['golden-txn'] }],
    [66, { stateFilters: ['Ongoing'], producerIdFilters: [1], durationFilter: -1 }],
    [57, { timeoutMs: 1000, featureUpdates: [m.newUpdateFeaturesRequestFeatureUpdateKey({ feature: 'group.version', maxVersionLevel: 1, upgradeType: 1 })], validateOnly: true }],
    // Share groups (KIP-932): no captured client speaks them, and the share fetch path holds
    // locks, sessions and long polls a mutated frame must not wedge. The topic id is unknown until
    // the captured frames create the topic; the zero id still reaches every decoder and check.
    [76, { groupId: shareGroup, memberId: shareMember, memberEpoch: 0, subscribedTopicNames: [topic] }],
    [77, { groupIds: [shareGroup], includeAuthorizedOperations: true }],
    [
      78,
      {
        groupId: shareGroup,
        memberId: shareMember,
        shareSessionEpoch: 0,
        maxWaitMs: 50,
        minBytes: 1,
        maxBytes: 1 << 20,
        maxRecords: 500,
        batchSize: 500,
        topics: [m.newShareFetchRequestFetchTopic({ partitions: [m.newShareFetchRequestFetchPartition({ partitionIndex: 0, acknowledgementBatches: [m.newShareFetchRequestAcknowledgementBatch({ firstOffset: 0, lastOffset: 3, acknowledgeTypes: [1] })] })] })],
      },
    ],
    [79, { groupId: shareGroup, memberId: shareMember, shareSessionEpoch: 1, topics: [m.newShareAcknowledgeRequestAcknowledgeTopic({ partitions: [m.newShareAcknowledgeRequestAcknowledgePartition({ partitionIndex: 0, acknowledgementBatches: [m.newShareAcknowledgeRequestAcknowledgementBatch({ firstOffset: 0, lastOffset: 1, acknowledgeTypes: [1, 3] })] })] })] }],
    // The share coordinator's inter-broker APIs (83-87): state epochs, deletions, summaries.
    [83, { groupId: shareGroup, topics: [m.newInitializeShareGroupStateRequestInitializeStateData({ partitions: [m.newInitializeShareGroupStateRequestPartitionData({ partition: 0, stateEpoch: 1, startOffset: 0 })] })] }],
    [84, { groupId: shareGroup, topics: [m.newReadShareGroupStateRequestReadStateData({ partitions: [m.newReadShareGroupStateRequestPartitionData({ partition: 0, leaderEpoch: 0 })] })] }],
    [85, { groupId: shareGroup, topics: [m.newWriteShareGroupStateRequestWriteStateData({ partitions: [m.newWriteShareGroupStateRequestPartitionData({ partition: 0, stateEpoch: 1, leaderEpoch: 0, startOffset: 0, stateBatches: [m.newWriteShareGroupStateRequestStateBatch({ firstOffset: 0, lastOffset: 1, deliveryState: 2, deliveryCount: 1 })] })] })] }],
    [86, { groupId: shareGroup, topics: [m.newDeleteShareGroupStateRequestDeleteStateData({ partitions: [m.newDeleteShareGroupStateRequestPartitionData({ partition: 0 })] })] }],
    [87, { groupId: shareGroup, topics: [m.newReadShareGroupStateSummaryRequestReadStateSummaryData({ partitions: [m.newReadShareGroupStateSummaryRequestPartitionData({ partition: 0, leaderEpoch: 0 })] })] }],
  ];
  const out: CorpusFrame[] = [];
  for (const [apiKey, body] of bodies) {
    const codec = API_CODECS.get(apiKey)!;
    for (const version of new Set([codec.minVersion, codec.maxVersion])) {
      const flexible = codec.flexibleFrom >= 0 && version >= codec.flexibleFrom;
      const header = { apiKey, apiVersion: version, correlationId: 1, clientId: 'synthetic' };
      const req = codec.newRequest(body);
      const w = new Writer(requestHeaderSize(header, flexible) + codec.sizeRequest(version, req));
      writeRequestHeader(w, header, flexible);
      codec.encodeRequest(w, version, req);
      out.push({ client: 'synthetic', apiKey, version, file: `synthetic/${apiKey}-${codec.name}-v${version}`, bytes: w.finish() });
    }
  }
  return out;
}
