import { defineApi } from '../schema.js';

/** Brokers, controller and the partition layout of the requested (or all) topics. */
export default defineApi({
  key: 3,
  name: 'Metadata',
  versions: '0-13',
  flexible: '9+',
  request: {
    topics: ['[]Topic', '0+', {
      topicId: ['uuid', '10+'],
      name: ['string', '0+', { nullable: '10+' }],
    }, { nullable: '1+', about: 'Topics to describe; null (v1+) for all, and in v0 an empty list means all.' }],
    allowAutoTopicCreation: ['bool', '4+', { default: true }],
    includeClusterAuthorizedOperations: ['bool', '8-10'],
    includeTopicAuthorizedOperations: ['bool', '8+'],
  },
  response: {
    throttleTimeMs: ['int32', '3+'],
    brokers: ['[]Broker', '0+', {
      nodeId: ['int32', '0+'],
      host: ['string', '0+'],
      port: ['int32', '0+'],
      rack: ['string', '1+', { nullable: '1+', default: null }],
    }],
    clusterId: ['string', '2+', { nullable: '2+', default: null }],
    controllerId: ['int32', '1+', { default: -1 }],
    topics: ['[]Topic', '0+', {
      errorCode: ['int16', '0+'],
      name: ['string', '0+', { nullable: '12+' }],
      topicId: ['uuid', '10+'],
      isInternal: ['bool', '1+'],
      partitions: ['[]Partition', '0+', {
        errorCode: ['int16', '0+'],
        partitionIndex: ['int32', '0+'],
        leaderId: ['int32', '0+'],
        leaderEpoch: ['int32', '7+', { default: -1 }],
        replicaNodes: ['[]int32', '0+'],
        isrNodes: ['[]int32', '0+'],
        offlineReplicas: ['[]int32', '5+'],
      }],
      topicAuthorizedOperations: ['int32', '8+', { default: -2147483648 }],
    }],
    clusterAuthorizedOperations: ['int32', '8-10', { default: -2147483648 }],
    errorCode: ['int16', '13+', { default: 0, about: 'v13+: a top-level error (KIP-1102: REBOOTSTRAP_REQUIRED).' }],
  },
});
