import { defineApi } from '../schema.js';

/** The coordinator broker of a group (keyType 0), transactional id (1) or share partition (2, v6+); v4 batches keys. */
export default defineApi({
  key: 10,
  name: 'FindCoordinator',
  versions: '0-6',
  flexible: '3+',
  request: {
    key: ['string', '0-3'],
    keyType: ['int8', '1+', { default: 0 }],
    coordinatorKeys: ['[]string', '4+'],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    errorCode: ['int16', '0-3'],
    errorMessage: ['string', '1-3', { nullable: '1-3' }],
    nodeId: ['int32', '0-3'],
    host: ['string', '0-3'],
    port: ['int32', '0-3'],
    coordinators: ['[]Coordinator', '4+', {
      key: ['string', '4+'],
      nodeId: ['int32', '4+'],
      host: ['string', '4+'],
      port: ['int32', '4+'],
      errorCode: ['int16', '4+'],
      errorMessage: ['string', '4+', { nullable: '4+' }],
    }],
  },
});
