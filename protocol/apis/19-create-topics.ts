import { defineApi } from '../schema.js';

/** Creates topics; v5+ answers with the resulting configuration. */
export default defineApi({
  key: 19,
  name: 'CreateTopics',
  versions: '0-7',
  flexible: '5+',
  request: {
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      numPartitions: ['int32', '0+', { about: '-1 with manual assignments, or (v4+) for the broker default.' }],
      replicationFactor: ['int16', '0+', { about: '-1 with manual assignments, or (v4+) for the broker default.' }],
      assignments: ['[]Assignment', '0+', {
        partitionIndex: ['int32', '0+'],
        brokerIds: ['[]int32', '0+'],
      }],
      configs: ['[]Config', '0+', {
        name: ['string', '0+'],
        value: ['string', '0+', { nullable: '0+' }],
      }],
    }],
    timeoutMs: ['int32', '0+', { default: 60000 }],
    validateOnly: ['bool', '1+', { default: false }],
  },
  response: {
    throttleTimeMs: ['int32', '2+'],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      topicId: ['uuid', '7+'],
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '1+', { nullable: '0+' }],
      topicConfigErrorCode: ['int16', '5+', { tag: 0, tagged: '5+', default: 0, about: 'Why the configs could not be returned, if they could not.' }],
      numPartitions: ['int32', '5+', { default: -1 }],
      replicationFactor: ['int16', '5+', { default: -1 }],
      configs: ['[]Config', '5+', {
        name: ['string', '5+'],
        value: ['string', '5+', { nullable: '5+' }],
        readOnly: ['bool', '5+'],
        configSource: ['int8', '5+', { default: -1 }],
        isSensitive: ['bool', '5+'],
      }, { nullable: '5+' }],
    }],
  },
});
