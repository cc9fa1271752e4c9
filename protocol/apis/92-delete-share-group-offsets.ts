import { defineApi } from '../schema.js';

/** Deletes an empty share group's share-partition state for whole topics (KIP-932; kafka-share-groups --delete-offsets). */
export default defineApi({
  key: 92,
  name: 'DeleteShareGroupOffsets',
  versions: '0',
  flexible: '0+',
  request: {
    groupId: ['string', '0+'],
    topics: ['[]Topic', '0+', {
      topicName: ['string', '0+'],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    errorMessage: ['string', '0+', { nullable: '0+', default: null }],
    responses: ['[]Topic', '0+', {
      topicName: ['string', '0+'],
      topicId: ['uuid', '0+'],
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+', default: null }],
    }],
  },
});
