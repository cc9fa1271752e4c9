import { defineApi } from '../schema.js';

/**
 * Share groups (KIP-932): fetches records a member acquires (locked for it for
 * group.share.record.lock.duration.ms), and acknowledges earlier ones in the same request. A share
 * session (epoch 0 opens, -1 closes, otherwise +1 per request) remembers the partitions fetched.
 * v2 adds the acquire mode and RENEW acknowledgements (KIP-1206, KIP-1222).
 */
export default defineApi({
  key: 78,
  name: 'ShareFetch',
  versions: '1-2',
  flexible: '1+',
  request: {
    groupId: ['string', '1+', { nullable: '1+', default: null }],
    memberId: ['string', '1+', { nullable: '1+' }],
    shareSessionEpoch: ['int32', '1+'],
    maxWaitMs: ['int32', '1+'],
    minBytes: ['int32', '1+'],
    maxBytes: ['int32', '1+', { default: 0x7fffffff }],
    maxRecords: ['int32', '1+', { about: 'May be exceeded to keep batch boundaries.' }],
    batchSize: ['int32', '1+'],
    shareAcquireMode: ['int8', '2+', { about: '0 batch-optimized, 1 record-limit.' }],
    isRenewAck: ['bool', '2+', { default: false }],
    topics: ['[]FetchTopic', '1+', {
      topicId: ['uuid', '1+'],
      partitions: ['[]FetchPartition', '1+', {
        partitionIndex: ['int32', '1+'],
        acknowledgementBatches: ['[]AcknowledgementBatch', '1+', {
          firstOffset: ['int64', '1+'],
          lastOffset: ['int64', '1+'],
          acknowledgeTypes: ['[]int8', '1+', { about: '0 gap, 1 accept, 2 release, 3 reject, 4 renew.' }],
        }],
      }],
    }],
    forgottenTopicsData: ['[]ForgottenTopic', '1+', {
      topicId: ['uuid', '1+'],
      partitions: ['[]int32', '1+'],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    errorCode: ['int16', '1+'],
    errorMessage: ['string', '1+', { nullable: '1+', default: null }],
    acquisitionLockTimeoutMs: ['int32', '1+'],
    responses: ['[]TopicResponse', '1+', {
      topicId: ['uuid', '1+'],
      partitions: ['[]PartitionData', '1+', {
        partitionIndex: ['int32', '1+'],
        errorCode: ['int16', '1+'],
        errorMessage: ['string', '1+', { nullable: '1+', default: null }],
        acknowledgeErrorCode: ['int16', '1+'],
        acknowledgeErrorMessage: ['string', '1+', { nullable: '1+', default: null }],
        currentLeader: ['LeaderIdAndEpoch', '1+', {
          leaderId: ['int32', '1+'],
          leaderEpoch: ['int32', '1+'],
        }],
        records: ['records', '1+', { about: 'The acquired batches, as stored (empty when none).' }],
        acquiredRecords: ['[]AcquiredRecords', '1+', {
          firstOffset: ['int64', '1+'],
          lastOffset: ['int64', '1+'],
          deliveryCount: ['int16', '1+'],
        }],
      }],
    }],
    nodeEndpoints: ['[]NodeEndpoint', '1+', {
      nodeId: ['int32', '1+'],
      host: ['string', '1+'],
      port: ['int32', '1+'],
      rack: ['string', '1+', { nullable: '1+', default: null }],
    }],
  },
});
