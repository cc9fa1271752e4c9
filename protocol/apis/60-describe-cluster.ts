import { defineApi } from '../schema.js';

/** Cluster id, controller and brokers (the admin client's replacement for Metadata). */
export default defineApi({
  key: 60,
  name: 'DescribeCluster',
  versions: '0-2',
  flexible: '0+',
  request: {
    includeClusterAuthorizedOperations: ['bool', '0+'],
    endpointType: ['int8', '1+', { default: 1, about: '1: brokers, 2: controllers.' }],
    includeFencedBrokers: ['bool', '2+', { default: false }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    errorMessage: ['string', '0+', { nullable: '0+', default: null }],
    endpointType: ['int8', '1+', { default: 1 }],
    clusterId: ['string', '0+'],
    controllerId: ['int32', '0+', { default: -1 }],
    brokers: ['[]Broker', '0+', {
      brokerId: ['int32', '0+'],
      host: ['string', '0+'],
      port: ['int32', '0+'],
      rack: ['string', '0+', { nullable: '0+', default: null }],
      isFenced: ['bool', '2+', { default: false }],
    }],
    clusterAuthorizedOperations: ['int32', '0+', { default: -2147483648 }],
  },
});
