import { defineApi } from '../schema.js';

/** Runs a preferred (0) or unclean (1) leader election. */
export default defineApi({
  key: 43,
  name: 'ElectLeaders',
  versions: '0-2',
  flexible: '2+',
  request: {
    electionType: ['int8', '1+'],
    topicPartitions: ['[]Topic', '0+', {
      topic: ['string', '0+'],
      partitions: ['[]int32', '0+'],
    }, { nullable: '0+', about: 'Null for every partition.' }],
    timeoutMs: ['int32', '0+', { default: 60000 }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '1+'],
    replicaElectionResults: ['[]Result', '0+', {
      topic: ['string', '0+'],
      partitionResult: ['[]PartitionResult', '0+', {
        partitionId: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        errorMessage: ['string', '0+', { nullable: '0+' }],
      }],
    }],
  },
});
