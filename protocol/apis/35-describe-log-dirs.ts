import { defineApi } from '../schema.js';

/** Log directories and the size of each partition in them. */
export default defineApi({
  key: 35,
  name: 'DescribeLogDirs',
  versions: '0-4',
  flexible: '2+',
  request: {
    topics: ['[]Topic', '0+', {
      topic: ['string', '0+'],
      partitions: ['[]int32', '0+'],
    }, { nullable: '0+', about: 'Null for every partition.' }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '3+'],
    results: ['[]Result', '0+', {
      errorCode: ['int16', '0+'],
      logDir: ['string', '0+'],
      topics: ['[]Topic', '0+', {
        name: ['string', '0+'],
        partitions: ['[]Partition', '0+', {
          partitionIndex: ['int32', '0+'],
          partitionSize: ['int64', '0+'],
          offsetLag: ['int64', '0+'],
          isFutureKey: ['bool', '0+'],
        }],
      }],
      totalBytes: ['int64', '4+', { default: -1 }],
      usableBytes: ['int64', '4+', { default: -1 }],
    }],
  },
});
