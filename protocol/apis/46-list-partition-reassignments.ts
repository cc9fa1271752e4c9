import { defineApi } from '../schema.js';

/** Reassignments in progress. */
export default defineApi({
  key: 46,
  name: 'ListPartitionReassignments',
  versions: '0',
  flexible: '0+',
  request: {
    timeoutMs: ['int32', '0+', { default: 60000 }],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitionIndexes: ['[]int32', '0+'],
    }, { nullable: '0+', default: null, about: 'Null for every reassignment.' }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    errorMessage: ['string', '0+', { nullable: '0+' }],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        replicas: ['[]int32', '0+'],
        addingReplicas: ['[]int32', '0+'],
        removingReplicas: ['[]int32', '0+'],
      }],
    }],
  },
});
