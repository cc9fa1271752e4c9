import { defineApi } from '../schema.js';

/** Share groups (KIP-932): acknowledges acquired records without fetching. v2 adds RENEW (KIP-1222) and the lock timeout in the answer. */
export default defineApi({
  key: 79,
  name: 'ShareAcknowledge',
  versions: '1-2',
  flexible: '1+',
  request: {
    groupId: ['string', '1+', { nullable: '1+', default: null }],
    memberId: ['string', '1+', { nullable: '1+' }],
    shareSessionEpoch: ['int32', '1+'],
    isRenewAck: ['bool', '2+', { default: false }],
    topics: ['[]AcknowledgeTopic', '1+', {
      topicId: ['uuid', '1+'],
      partitions: ['[]AcknowledgePartition', '1+', {
        partitionIndex: ['int32', '1+'],
        acknowledgementBatches: ['[]AcknowledgementBatch', '1+', {
          firstOffset: ['int64', '1+'],
          lastOffset: ['int64', '1+'],
          acknowledgeTypes: ['[]int8', '1+'],
        }],
      }],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    errorCode: ['int16', '1+'],
    errorMessage: ['string', '1+', { nullable: '1+', default: null }],
    acquisitionLockTimeoutMs: ['int32', '2+', { default: 0 }],
    responses: ['[]TopicResponse', '1+', {
      topicId: ['uuid', '1+'],
      partitions: ['[]PartitionData', '1+', {
        partitionIndex: ['int32', '1+'],
        errorCode: ['int16', '1+'],
        errorMessage: ['string', '1+', { nullable: '1+', default: null }],
        currentLeader: ['LeaderIdAndEpoch', '1+', {
          leaderId: ['int32', '1+'],
          leaderEpoch: ['int32', '1+'],
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
