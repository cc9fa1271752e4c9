import { defineApi } from '../schema.js';

/**
 * Describes consumer groups (KIP-848): group epoch, assignment epoch, the assignor, and each
 * member's subscription, current and target assignment. v1 adds the member type (KIP-1099).
 */
export default defineApi({
  key: 69,
  name: 'ConsumerGroupDescribe',
  versions: '0-1',
  flexible: '0+',
  request: {
    groupIds: ['[]string', '0+'],
    includeAuthorizedOperations: ['bool', '0+'],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    groups: ['[]DescribedGroup', '0+', {
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+', default: null }],
      groupId: ['string', '0+'],
      groupState: ['string', '0+'],
      groupEpoch: ['int32', '0+'],
      assignmentEpoch: ['int32', '0+'],
      assignorName: ['string', '0+'],
      members: ['[]Member', '0+', {
        memberId: ['string', '0+'],
        instanceId: ['string', '0+', { nullable: '0+', default: null }],
        rackId: ['string', '0+', { nullable: '0+', default: null }],
        memberEpoch: ['int32', '0+'],
        clientId: ['string', '0+'],
        clientHost: ['string', '0+'],
        subscribedTopicNames: ['[]string', '0+'],
        subscribedTopicRegex: ['string', '0+', { nullable: '0+', default: null }],
        assignment: ['Assignment', '0+', {
          topicPartitions: ['[]TopicPartitions', '0+', {
            topicId: ['uuid', '0+'],
            topicName: ['string', '0+'],
            partitions: ['[]int32', '0+'],
          }],
        }],
        targetAssignment: ['TargetAssignment', '0+', {
          topicPartitions: ['[]TargetTopicPartitions', '0+', {
            topicId: ['uuid', '0+'],
            topicName: ['string', '0+'],
            partitions: ['[]int32', '0+'],
          }],
        }],
        memberType: ['int8', '1+', { default: -1, about: '-1 unknown, 0 classic member, 1 consumer member.' }],
      }],
      authorizedOperations: ['int32', '0+', { default: -2147483648 }],
    }],
  },
});
