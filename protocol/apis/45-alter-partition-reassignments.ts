import { defineApi } from '../schema.js';

/** Starts (or with null replicas cancels) partition reassignments. */
export default defineApi({
  key: 45,
  name: 'AlterPartitionReassignments',
  versions: '0',
  flexible: '0+',
  request: {
    timeoutMs: ['int32', '0+', { default: 60000 }],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        replicas: ['[]int32', '0+', { nullable: '0+', default: null, about: 'Null cancels a pending reassignment.' }],
      }],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    errorMessage: ['string', '0+', { nullable: '0+' }],
    responses: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        errorMessage: ['string', '0+', { nullable: '0+' }],
      }],
    }],
  },
});
