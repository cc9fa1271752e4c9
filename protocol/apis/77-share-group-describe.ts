import { defineApi } from '../schema.js';

/** Describes share groups (KIP-932): group and assignment epochs, the assignor, each member's subscription and assignment. */
export default defineApi({
  key: 77,
  name: 'ShareGroupDescribe',
  versions: '1',
  flexible: '1+',
  request: {
    groupIds: ['[]string', '1+'],
    includeAuthorizedOperations: ['bool', '1+'],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    groups: ['[]DescribedGroup', '1+', {
      errorCode: ['int16', '1+'],
      errorMessage: ['string', '1+', { nullable: '1+', default: null }],
      groupId: ['string', '1+'],
      groupState: ['string', '1+'],
      groupEpoch: ['int32', '1+'],
      assignmentEpoch: ['int32', '1+'],
      assignorName: ['string', '1+'],
      members: ['[]Member', '1+', {
        memberId: ['string', '1+'],
        rackId: ['string', '1+', { nullable: '1+', default: null }],
        memberEpoch: ['int32', '1+'],
        clientId: ['string', '1+'],
        clientHost: ['string', '1+'],
        subscribedTopicNames: ['[]string', '1+'],
        assignment: ['Assignment', '1+', {
          topicPartitions: ['[]TopicPartitions', '1+', {
            topicId: ['uuid', '1+'],
            topicName: ['string', '1+'],
            partitions: ['[]int32', '1+'],
          }],
        }],
      }],
      authorizedOperations: ['int32', '1+', { default: -2147483648 }],
    }],
  },
});
