import { defineApi } from '../schema.js';

/** Reads record batches from partitions, long-polling up to maxWaitMs for minBytes. */
export default defineApi({
  key: 1,
  name: 'Fetch',
  versions: '0-18',
  flexible: '12+',
  request: {
    clusterId: ['string', '12+', { nullable: '12+', default: null, tag: 0, tagged: '12+' }],
    replicaId: ['int32', '0-14', { default: -1, about: 'The follower broker id, or -1 for a consumer.' }],
    maxWaitMs: ['int32', '0+'],
    minBytes: ['int32', '0+'],
    maxBytes: ['int32', '3+', { default: 0x7fffffff }],
    isolationLevel: ['int8', '4+', { default: 0, about: '0: read uncommitted, 1: read committed.' }],
    sessionId: ['int32', '7+', { default: 0 }],
    sessionEpoch: ['int32', '7+', { default: -1 }],
    topics: ['[]Topic', '0+', {
      topic: ['string', '0-12'],
      topicId: ['uuid', '13+'],
      partitions: ['[]Partition', '0+', {
        partition: ['int32', '0+'],
        currentLeaderEpoch: ['int32', '9+', { default: -1 }],
        fetchOffset: ['int64', '0+'],
        lastFetchedEpoch: ['int32', '12+', { default: -1 }],
        logStartOffset: ['int64', '5+', { default: -1, about: 'Only sent by followers.' }],
        partitionMaxBytes: ['int32', '0+'],
        replicaDirectoryId: ['uuid', '17+', { tag: 0, tagged: '17+', about: 'The follower\'s log directory (KIP-853).' }],
        highWatermark: ['int64', '18+', { tag: 1, tagged: '18+', default: 9223372036854775807, about: 'The follower\'s high watermark (KIP-1166).' }],
      }],
    }],
    forgottenTopicsData: ['[]ForgottenTopic', '7+', {
      topic: ['string', '7-12'],
      topicId: ['uuid', '13+'],
      partitions: ['[]int32', '7+'],
    }, { about: 'Partitions an incremental fetch session drops.' }],
    rackId: ['string', '11+', { default: '' }],
    replicaState: ['ReplicaState', '15+', {
      replicaId: ['int32', '15+', { default: -1 }],
      replicaEpoch: ['int64', '15+', { default: -1 }],
    }, { tag: 1, tagged: '15+', about: 'v15+: the fetching replica (replaces replicaId; KIP-903).' }],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    errorCode: ['int16', '7+'],
    sessionId: ['int32', '7+', { default: 0 }],
    responses: ['[]Topic', '0+', {
      topic: ['string', '0-12'],
      topicId: ['uuid', '13+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        highWatermark: ['int64', '0+'],
        lastStableOffset: ['int64', '4+', { default: -1 }],
        logStartOffset: ['int64', '5+', { default: -1 }],
        divergingEpoch: ['EpochEndOffset', '12+', {
          epoch: ['int32', '12+', { default: -1 }],
          endOffset: ['int64', '12+', { default: -1 }],
        }, { tag: 0, tagged: '12+' }],
        currentLeader: ['LeaderIdAndEpoch', '12+', {
          leaderId: ['int32', '12+', { default: -1 }],
          leaderEpoch: ['int32', '12+', { default: -1 }],
        }, { tag: 1, tagged: '12+' }],
        snapshotId: ['SnapshotId', '12+', {
          endOffset: ['int64', '0+', { default: -1 }],
          epoch: ['int32', '0+', { default: -1 }],
        }, { tag: 2, tagged: '12+' }],
        abortedTransactions: ['[]AbortedTransaction', '4+', {
          producerId: ['int64', '4+'],
          firstOffset: ['int64', '4+'],
        }, { nullable: '4+' }],
        preferredReadReplica: ['int32', '11+', { default: -1 }],
        records: ['records', '0+', { nullable: '0+' }],
      }],
    }],
    nodeEndpoints: ['[]NodeEndpoint', '16+', {
      nodeId: ['int32', '16+'],
      host: ['string', '16+'],
      port: ['int32', '16+'],
      rack: ['string', '16+', { nullable: '16+', default: null }],
    }, { tag: 0, tagged: '16+', about: 'Endpoints of the leaders named in currentLeader (KIP-951).' }],
  },
});
